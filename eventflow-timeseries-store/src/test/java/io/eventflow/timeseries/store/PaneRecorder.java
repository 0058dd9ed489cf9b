package io.eventflow.timeseries.store;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Puts rows in a store the way the rollups job writes one pane of a series: the minute row, the
 * quarter-hour row of the same pane, and the catalog entry. The query service's and the command
 * line's tests read what it writes; each call is a new pane, so calls for one minute add up.
 */
public final class PaneRecorder {
  private final IntervalWriter writer;
  private final AtomicLong panes = new AtomicLong();

  /** Returns a recorder writing through {@code writer}, which the caller keeps and closes. */
  public PaneRecorder(IntervalWriter writer) {
    this.writer = writer;
  }

  /**
   * Records one pane partial of {@code series} for the minute starting at {@code minute} (RFC 3339,
   * e.g. {@code 2026-11-20T10:15:00Z}).
   *
   * @throws StoreException if the store refuses the write
   */
  public void record(
      String series, AggregateFunction function, String minute, double value, long events)
      throws StoreException {
    Instant start = Instant.parse(minute);
    long pane = panes.incrementAndGet();
    writer.write(
        List.of(
            new IntervalRow(series, Resolution.MINUTE, start, pane, value, events),
            new IntervalRow(
                series,
                Resolution.QUARTER_HOUR,
                Resolution.QUARTER_HOUR.truncate(start),
                pane,
                value,
                events)));
    writer.mergeCatalog(List.of(new SeriesInfo(series, function, start, start)));
  }
}
