package io.eventflow.timeseries.srv;

import io.eventflow.timeseries.store.AggregateFunction;

/**
 * A function a query applies to the values in a bucket. Every function is defined over the series'
 * per-minute values (each minute's pane partials merged with the series' own function):
 *
 * <ul>
 *   <li>{@link #SUM}, {@link #MIN}, {@link #MAX}: the sum, smallest and largest per-minute value.
 *   <li>{@link #AVG} of a SUM series: the total value divided by the total event count, i.e. the
 *       mean value per event (the average purchase amount, not the average per-minute revenue). It
 *       is the only average the rows determine exactly at any resolution: per-minute means would
 *       depend on how many minutes happen to have data and on pane boundaries.
 *   <li>{@link #AVG} of a MIN or MAX series: a per-event mean is not recoverable from extremes, so
 *       it is the mean of the per-minute values over the minutes in the bucket that have data (e.g.
 *       the typical per-minute peak latency).
 * </ul>
 */
public enum Aggregation {
  /** The sum of the per-minute values. */
  SUM,
  /** The smallest per-minute value. */
  MIN,
  /** The largest per-minute value. */
  MAX,
  /** The mean per event (SUM series) or the mean per minute with data (MIN and MAX series). */
  AVG;

  /** Returns the aggregation that equals a series' own function. */
  public static Aggregation of(AggregateFunction function) {
    return switch (function) {
      case SUM -> SUM;
      case MIN -> MIN;
      case MAX -> MAX;
    };
  }

  /**
   * Returns whether this aggregation of a series with the given own function gives the same answer
   * from quarter-hour rows as from minute rows: true when it only combines partials with the
   * series' own function (an associative fold), or is the per-event mean of a SUM series (a ratio
   * of two sums). Every other combination is defined per minute and needs minute rows.
   */
  public boolean isResolutionIndependent(AggregateFunction seriesFunction) {
    return this == of(seriesFunction) || (this == AVG && seriesFunction == AggregateFunction.SUM);
  }

  /** Returns the value of a bucket without data when every bucket is returned. */
  public double emptyValue() {
    // The sum of nothing is 0; the extreme or mean of nothing is undefined, and 0 would lie.
    return this == SUM ? 0 : Double.NaN;
  }
}
