package io.eventflow.timeseries.rollups;

import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.Resolution;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The partial aggregates of one series, per minute, over one pane: plain Java, no Beam.
 *
 * <p>Minutes are kept in parallel arrays searched from the newest entry, because a pane of a live
 * series almost always touches one or two minutes; past {@value #INDEX_THRESHOLD} minutes (a
 * backfill) a hash index takes over so adding stays O(1).
 */
public final class IntervalAccumulator {
  private static final int INDEX_THRESHOLD = 16;

  private AggregateFunction function;
  private long[] minutes = new long[2];
  private double[] values = new double[2];
  private long[] counts = new long[2];
  private int size;
  private Map<Long, Integer> index;

  /** Creates an empty accumulator; its function is set by the first value added. */
  public IntervalAccumulator() {}

  /** Returns the series' function, or null while empty. */
  public AggregateFunction function() {
    return function;
  }

  /** Returns the number of distinct minutes. */
  public int size() {
    return size;
  }

  /** Returns the start (epoch seconds) of minute entry {@code i}, in insertion order. */
  public long minute(int i) {
    return minutes[i];
  }

  /** Returns the aggregate of minute entry {@code i}. */
  public double value(int i) {
    return values[i];
  }

  /** Returns the event count of minute entry {@code i}. */
  public long count(int i) {
    return counts[i];
  }

  /** Adds one event's value to its minute. */
  public void add(AggregateFunction fn, long minuteStart, double value) {
    add(fn, minuteStart, value, 1);
  }

  /** Adds a partial aggregate of {@code count} events to its minute. */
  public void add(AggregateFunction fn, long minuteStart, double value, long count) {
    if (function == null) {
      function = fn;
    } else if (function != fn) {
      throw new IllegalArgumentException(
          "a series has one function: got " + fn + " after " + function);
    }
    int i = find(minuteStart);
    if (i >= 0) {
      values[i] = fn.combine(values[i], value);
      counts[i] += count;
      return;
    }
    if (size == minutes.length) {
      int capacity = size * 2;
      minutes = Arrays.copyOf(minutes, capacity);
      values = Arrays.copyOf(values, capacity);
      counts = Arrays.copyOf(counts, capacity);
    }
    minutes[size] = minuteStart;
    values[size] = value;
    counts[size] = count;
    if (index != null) {
      index.put(minuteStart, size);
    } else if (size + 1 > INDEX_THRESHOLD) {
      index = new HashMap<>();
      for (int j = 0; j <= size; j++) {
        index.put(minutes[j], j);
      }
    }
    size++;
  }

  /** Adds every minute of another accumulator of the same series into this one. */
  public void merge(IntervalAccumulator other) {
    for (int i = 0; i < other.size; i++) {
      add(other.function, other.minutes[i], other.values[i], other.counts[i]);
    }
  }

  private int find(long minuteStart) {
    if (index != null) {
      Integer i = index.get(minuteStart);
      return i == null ? -1 : i;
    }
    for (int i = size - 1; i >= 0; i--) {
      if (minutes[i] == minuteStart) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Returns the rows of this pane: one per minute and one per quarter-hour (the exact combination
   * of its minutes), each with the row id the given function assigns.
   */
  public List<IntervalRow> rows(String series, RowIdFunction rowIds) {
    List<IntervalRow> rows = new ArrayList<>(size + 2);
    Map<Long, double[]> quarters = new HashMap<>();
    for (int i = 0; i < size; i++) {
      rows.add(row(series, Resolution.MINUTE, minutes[i], values[i], counts[i], rowIds));
      long quarter = Resolution.QUARTER_HOUR.truncate(minutes[i]);
      double[] q = quarters.get(quarter);
      if (q == null) {
        quarters.put(quarter, new double[] {values[i], counts[i]});
      } else {
        q[0] = function.combine(q[0], values[i]);
        q[1] += counts[i];
      }
    }
    quarters.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e ->
                rows.add(
                    row(
                        series,
                        Resolution.QUARTER_HOUR,
                        e.getKey(),
                        e.getValue()[0],
                        (long) e.getValue()[1],
                        rowIds)));
    return rows;
  }

  private static IntervalRow row(
      String series,
      Resolution resolution,
      long start,
      double value,
      long count,
      RowIdFunction rowIds) {
    return new IntervalRow(
        series,
        resolution,
        Instant.ofEpochSecond(start),
        rowIds.rowId(series, resolution, start),
        value,
        count);
  }

  /** Assigns the row id of a row of this pane. */
  @FunctionalInterface
  public interface RowIdFunction {
    /** Returns the row id of the series' row at a resolution and interval start. */
    long rowId(String series, Resolution resolution, long intervalStart);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof IntervalAccumulator other)) {
      return false;
    }
    if (function != other.function || size != other.size) {
      return false;
    }
    for (int i = 0; i < size; i++) {
      int j = other.find(minutes[i]);
      if (j < 0
          || Double.compare(values[i], other.values[j]) != 0
          || counts[i] != other.counts[j]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    long h = Objects.hashCode(function);
    for (int i = 0; i < size; i++) {
      // Order-independent, like equals.
      h += Long.hashCode(minutes[i]) ^ Double.hashCode(values[i]) ^ Long.hashCode(counts[i]);
    }
    return Long.hashCode(h);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("IntervalAccumulator{").append(function);
    for (int i = 0; i < size; i++) {
      b.append(", ").append(minutes[i]).append('=').append(values[i]).append('/').append(counts[i]);
    }
    return b.append('}').toString();
  }
}
