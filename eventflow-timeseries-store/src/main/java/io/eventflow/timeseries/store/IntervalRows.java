package io.eventflow.timeseries.store;

import java.time.Instant;

/**
 * The rows of one series at one resolution over a time range, in columns (no object per row: the
 * query service aggregates millions of rows a second).
 *
 * <p>Rows are ordered by interval start. Several rows may share an interval start: each is one
 * pane's partial aggregate, and readers combine them with the series' function.
 */
public final class IntervalRows {
  private final long[] intervalStarts;
  private final double[] values;
  private final long[] eventCounts;
  private final int size;
  private final Instant readTimestamp;

  /**
   * Creates a view of the first {@code size} entries of the given columns; the arrays are not
   * copied and must not be changed afterwards.
   */
  public IntervalRows(
      long[] intervalStarts, double[] values, long[] eventCounts, int size, Instant readTimestamp) {
    if (size > intervalStarts.length || size > values.length || size > eventCounts.length) {
      throw new IllegalArgumentException("size exceeds the columns");
    }
    this.intervalStarts = intervalStarts;
    this.values = values;
    this.eventCounts = eventCounts;
    this.size = size;
    this.readTimestamp = readTimestamp;
  }

  /** Returns the number of rows. */
  public int size() {
    return size;
  }

  /** Returns the interval start of row {@code i}, in epoch seconds. */
  public long intervalStart(int i) {
    return intervalStarts[i];
  }

  /** Returns the partial aggregate value of row {@code i}. */
  public double value(int i) {
    return values[i];
  }

  /** Returns how many events row {@code i} aggregates. */
  public long eventCount(int i) {
    return eventCounts[i];
  }

  /** Returns the time at which the store served the read (its snapshot time). */
  public Instant readTimestamp() {
    return readTimestamp;
  }
}
