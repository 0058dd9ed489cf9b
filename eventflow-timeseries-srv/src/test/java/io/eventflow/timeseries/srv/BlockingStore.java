package io.eventflow.timeseries.srv;

import io.eventflow.timeseries.store.IntervalRows;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.ReadLimits;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.SeriesPage;
import io.eventflow.timeseries.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The real store with hooks on interval reads: each read records its limits, says it started and
 * waits for a release (both optional), so a test can hold a query thread or see what the server
 * asked of the store. Catalog reads (a series' entry, a listing) record their timeouts.
 */
final class BlockingStore implements IntervalStore {
  private final IntervalStore store;
  private final List<ReadLimits> seen;
  private final CountDownLatch reading;
  private final CountDownLatch release;
  private final List<Duration> catalogTimeouts = new CopyOnWriteArrayList<>();

  /**
   * Wraps {@code store}; {@code seen} (or null) collects every read's limits, {@code reading} (or
   * null) is counted down when a read starts, and reads wait up to 10 s for {@code release} (or
   * null).
   */
  BlockingStore(
      IntervalStore store, List<ReadLimits> seen, CountDownLatch reading, CountDownLatch release) {
    this.store = store;
    this.seen = seen;
    this.reading = reading;
    this.release = release;
  }

  /** The timeout of every catalog read so far, in order (null for none). */
  List<Duration> catalogTimeouts() {
    return catalogTimeouts;
  }

  @Override
  public IntervalRows readIntervals(
      String series, Resolution resolution, Instant start, Instant end, ReadLimits limits)
      throws StoreException {
    if (seen != null) {
      seen.add(limits);
    }
    if (reading != null) {
      reading.countDown();
    }
    if (release != null) {
      try {
        if (!release.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test did not release the read within 10 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return store.readIntervals(series, resolution, start, end, limits);
  }

  @Override
  public Optional<SeriesInfo> series(String name, Duration timeout) throws StoreException {
    catalogTimeouts.add(timeout);
    return store.series(name, timeout);
  }

  @Override
  public SeriesPage listSeries(String prefix, int pageSize, String pageToken, Duration timeout)
      throws StoreException {
    catalogTimeouts.add(timeout);
    return store.listSeries(prefix, pageSize, pageToken, timeout);
  }

  @Override
  public void close() {
    store.close();
  }
}
