package io.eventflow.timeseries.srv;

import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRows;
import java.util.Arrays;

/**
 * Aggregates interval rows into buckets in one pass over columnar rows, with one slot per bucket
 * and no object per row: the query service's budget is ten million rows a second per core.
 *
 * <p>Rows must arrive in interval-start order (across calls to {@link #add}) and lie within the
 * boundaries. Rows sharing an interval start are pane partials and merge with the series' own
 * function first; then the bucket applies the requested {@link Aggregation}. When the aggregation
 * is the series' own function, or the per-event mean of a SUM series, the merge is skipped: folding
 * every partial straight into the bucket gives the same answer.
 */
public final class IntervalAggregator {
  private enum Mode {
    /** SUM of a SUM series: add every partial. */
    FOLD_SUM,
    /** MIN of a MIN series: the smallest partial. */
    FOLD_MIN,
    /** MAX of a MAX series: the largest partial. */
    FOLD_MAX,
    /** AVG of a SUM series: total value over total events. */
    PER_EVENT_MEAN,
    /** Anything else: merge each minute's partials, then aggregate the per-minute values. */
    PER_MINUTE
  }

  private final long[] bounds;
  private final int buckets;
  private final AggregateFunction seriesFunction;
  private final Aggregation aggregation;
  private final Mode mode;
  private final double[] acc;

  /** Rows (fold modes) or minutes (per-minute mode) counted into each bucket: 0 means empty. */
  private final long[] counts;

  /** Events per bucket, for the per-event mean only. */
  private final long[] events;

  private int bucket;
  private long lastStart = Long.MIN_VALUE;
  private long rowsRead;

  // The minute being merged in per-minute mode.
  private boolean pending;
  private double pendingValue;

  /**
   * Creates an aggregator over the buckets {@code [bounds[i], bounds[i+1])}.
   *
   * @param bounds ascending bucket boundaries in epoch seconds, at least two
   * @param seriesFunction the series' own function, which merges pane partials
   * @param aggregation the function applied within each bucket
   */
  public IntervalAggregator(
      long[] bounds, AggregateFunction seriesFunction, Aggregation aggregation) {
    if (bounds.length < 2) {
      throw new IllegalArgumentException("need at least one bucket");
    }
    this.bounds = bounds;
    this.buckets = bounds.length - 1;
    this.seriesFunction = seriesFunction;
    this.aggregation = aggregation;
    this.mode = mode(seriesFunction, aggregation);
    this.acc = new double[buckets];
    this.counts = new long[buckets];
    this.events = mode == Mode.PER_EVENT_MEAN ? new long[buckets] : null;
    double identity =
        switch (mode) {
          case FOLD_MIN -> Double.POSITIVE_INFINITY;
          case FOLD_MAX -> Double.NEGATIVE_INFINITY;
          case PER_MINUTE ->
              aggregation == Aggregation.MIN
                  ? Double.POSITIVE_INFINITY
                  : aggregation == Aggregation.MAX ? Double.NEGATIVE_INFINITY : 0;
          default -> 0;
        };
    if (identity != 0) {
      Arrays.fill(acc, identity);
    }
  }

  private static Mode mode(AggregateFunction seriesFunction, Aggregation aggregation) {
    if (aggregation == Aggregation.AVG && seriesFunction == AggregateFunction.SUM) {
      return Mode.PER_EVENT_MEAN;
    }
    if (aggregation == Aggregation.of(seriesFunction)) {
      return switch (seriesFunction) {
        case SUM -> Mode.FOLD_SUM;
        case MIN -> Mode.FOLD_MIN;
        case MAX -> Mode.FOLD_MAX;
      };
    }
    return Mode.PER_MINUTE;
  }

  /**
   * Adds rows, which must start at or after the last row added.
   *
   * @throws IllegalStateException if a row is out of order or outside the boundaries
   */
  public void add(IntervalRows rows) {
    int size = rows.size();
    if (size == 0) {
      return;
    }
    if (rows.intervalStart(0) < bounds[0] || rows.intervalStart(size - 1) >= bounds[buckets]) {
      throw new IllegalStateException("the store returned rows outside the requested range");
    }
    rowsRead += size;
    // One loop per mode keeps the per-row work to a comparison, an advance and one or two adds.
    switch (mode) {
      case FOLD_SUM -> {
        for (int i = 0; i < size; i++) {
          int b = advance(rows.intervalStart(i));
          acc[b] += rows.value(i);
          counts[b]++;
        }
      }
      case FOLD_MIN -> {
        for (int i = 0; i < size; i++) {
          int b = advance(rows.intervalStart(i));
          acc[b] = Math.min(acc[b], rows.value(i));
          counts[b]++;
        }
      }
      case FOLD_MAX -> {
        for (int i = 0; i < size; i++) {
          int b = advance(rows.intervalStart(i));
          acc[b] = Math.max(acc[b], rows.value(i));
          counts[b]++;
        }
      }
      case PER_EVENT_MEAN -> {
        for (int i = 0; i < size; i++) {
          int b = advance(rows.intervalStart(i));
          acc[b] += rows.value(i);
          events[b] += rows.eventCount(i);
          counts[b]++;
        }
      }
      case PER_MINUTE -> {
        for (int i = 0; i < size; i++) {
          long start = rows.intervalStart(i);
          if (pending && start != lastStart) {
            flushMinute();
          }
          int b = advance(start);
          double v = rows.value(i);
          pendingValue = pending ? seriesFunction.combine(pendingValue, v) : v;
          pending = true;
        }
      }
    }
  }

  /** Moves to the bucket containing {@code start}, checking order; returns its index. */
  private int advance(long start) {
    if (start < lastStart) {
      throw new IllegalStateException(
          "the store returned rows out of order: " + start + " after " + lastStart);
    }
    lastStart = start;
    while (start >= bounds[bucket + 1]) {
      bucket++;
    }
    return bucket;
  }

  /** Aggregates the merged minute into its bucket (the current one). */
  private void flushMinute() {
    int b = bucket;
    double v = pendingValue;
    switch (aggregation) {
      case SUM, AVG -> acc[b] += v;
      case MIN -> acc[b] = Math.min(acc[b], v);
      case MAX -> acc[b] = Math.max(acc[b], v);
    }
    counts[b]++;
    pending = false;
  }

  /** Returns how many rows were added. */
  public long rowsRead() {
    return rowsRead;
  }

  /**
   * Returns the buckets' starts and values.
   *
   * @param fillEmpty whether to return empty buckets too, with {@link Aggregation#emptyValue()}
   */
  public BucketValues finish(boolean fillEmpty) {
    if (pending) {
      flushMinute();
    }
    int n = 0;
    for (int i = 0; i < buckets; i++) {
      if (fillEmpty || counts[i] > 0) {
        n++;
      }
    }
    long[] starts = new long[n];
    double[] values = new double[n];
    int k = 0;
    for (int i = 0; i < buckets; i++) {
      if (counts[i] > 0) {
        starts[k] = bounds[i];
        values[k++] = value(i);
      } else if (fillEmpty) {
        starts[k] = bounds[i];
        values[k++] = aggregation.emptyValue();
      }
    }
    return new BucketValues(starts, values);
  }

  private double value(int i) {
    return switch (mode) {
      case PER_EVENT_MEAN -> events[i] == 0 ? Double.NaN : acc[i] / events[i];
      case PER_MINUTE -> aggregation == Aggregation.AVG ? acc[i] / counts[i] : acc[i];
      default -> acc[i];
    };
  }

  /**
   * Bucket starts (epoch seconds) and values in parallel.
   *
   * @param starts the start of each returned bucket
   * @param values the value of each returned bucket
   */
  @SuppressWarnings("ArrayRecordComponent") // Internal hand-off of freshly built arrays.
  public record BucketValues(long[] starts, double[] values) {}
}
