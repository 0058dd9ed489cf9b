package io.eventflow.timeseries.api;

import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.TimeSeries;
import java.time.Instant;

/**
 * One series of the catalog in java.time terms.
 *
 * @param name the series name
 * @param function the series' own function (SUM, MIN or MAX)
 * @param firstSeen the start of the earliest minute written
 * @param lastSeen the start of the latest minute written
 */
public record SeriesSummary(
    String name, AggregateFunction function, Instant firstSeen, Instant lastSeen) {

  /** Converts the wire form. */
  public static SeriesSummary fromProto(TimeSeries series) {
    return new SeriesSummary(
        series.getName(),
        series.getAggregateFunction(),
        Instant.ofEpochSecond(series.getFirstSeen().getSeconds(), series.getFirstSeen().getNanos()),
        Instant.ofEpochSecond(series.getLastSeen().getSeconds(), series.getLastSeen().getNanos()));
  }
}
