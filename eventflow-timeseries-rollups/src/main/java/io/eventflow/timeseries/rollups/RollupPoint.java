package io.eventflow.timeseries.rollups;

import io.eventflow.timeseries.store.AggregateFunction;

/**
 * One event's value for one series (the series name is the element's key): the minute it falls in,
 * the value, and the series' function.
 *
 * @param minuteStart the minute's start in epoch seconds
 * @param value the value: 1 for count series, the attribute's number otherwise
 * @param function how values of the series combine
 */
public record RollupPoint(long minuteStart, double value, AggregateFunction function) {}
