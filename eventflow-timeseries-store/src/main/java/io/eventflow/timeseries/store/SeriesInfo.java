package io.eventflow.timeseries.store;

import java.time.Instant;

/**
 * One entry of the series catalog: listing series reads only the catalog, never intervals.
 *
 * @param name the series name, e.g. {@code purchase.acme.amount.sum}
 * @param function the series' native aggregate function
 * @param firstSeen the earliest interval start written for the series
 * @param lastSeen the latest interval start written for the series
 */
public record SeriesInfo(
    String name, AggregateFunction function, Instant firstSeen, Instant lastSeen) {}
