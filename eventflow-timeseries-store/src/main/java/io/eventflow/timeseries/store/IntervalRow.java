package io.eventflow.timeseries.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One partial aggregate of a series over one interval, as the rollups job writes it: the aggregate
 * of the events one pane saw for that interval.
 *
 * <p>The primary key is (series, resolution, interval start, row id). The row id is derived by the
 * writer from the pane that produced the row, so rewriting the same pane (a retried bundle)
 * replaces the row instead of adding a second one.
 *
 * @param series the series name, e.g. {@code purchase.acme.amount.sum}
 * @param resolution the interval length
 * @param intervalStart the interval start, a multiple of the resolution since the epoch
 * @param rowId distinguishes the partial rows of one interval; deterministic per pane
 * @param value the partial aggregate: a sum, minimum or maximum, or the event count for count
 *     series
 * @param eventCount how many events the partial aggregate covers, at least 1
 */
public record IntervalRow(
    String series,
    Resolution resolution,
    Instant intervalStart,
    long rowId,
    double value,
    long eventCount) {

  /** Checks that the row is well formed: a named series, an aligned start, a positive count. */
  public IntervalRow {
    Objects.requireNonNull(series, "series");
    Objects.requireNonNull(resolution, "resolution");
    Objects.requireNonNull(intervalStart, "intervalStart");
    if (series.isEmpty()) {
      throw new IllegalArgumentException("series name is empty");
    }
    if (intervalStart.getNano() != 0
        || resolution.truncate(intervalStart.getEpochSecond()) != intervalStart.getEpochSecond()) {
      throw new IllegalArgumentException(
          "interval start " + intervalStart + " is not aligned to " + resolution);
    }
    if (eventCount < 1) {
      throw new IllegalArgumentException("event count must be positive, was " + eventCount);
    }
  }
}
