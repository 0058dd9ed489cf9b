package io.eventflow.timeseries.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The read side of interval storage, used by the query service. Implementations are thread-safe.
 */
public interface IntervalStore extends AutoCloseable {
  /**
   * Reads the rows of a series at a resolution whose interval start lies in {@code [start, end)},
   * ordered by interval start; an unknown series gives no rows.
   *
   * @throws StoreException if the store cannot be read
   */
  default IntervalRows readIntervals(
      String series, Resolution resolution, Instant start, Instant end) throws StoreException {
    return readIntervals(series, resolution, start, end, ReadLimits.NONE);
  }

  /**
   * Reads like {@link #readIntervals(String, Resolution, Instant, Instant)} within limits: at most
   * {@code limits.maxRows()} rows (the store stops reading one row past it) and within {@code
   * limits.timeout()} (a statement timeout or call deadline in the store itself, so a stuck read is
   * cancelled where it runs).
   *
   * @throws RowLimitException if the range holds more rows than the cap
   * @throws StoreTimeoutException if the read did not finish in time
   * @throws StoreException if the store cannot be read
   */
  IntervalRows readIntervals(
      String series, Resolution resolution, Instant start, Instant end, ReadLimits limits)
      throws StoreException;

  /**
   * Returns the catalog entry of a series, or empty if no interval was ever written for it, with no
   * timeout of its own (tools and tests).
   *
   * @throws StoreException if the store cannot be read
   */
  default Optional<SeriesInfo> series(String name) throws StoreException {
    return series(name, null);
  }

  /**
   * Looks up a catalog entry like {@link #series(String)} within {@code timeout} (a statement
   * timeout or call deadline in the store itself), or with no limit of its own when null; zero or
   * negative fails at once.
   *
   * @throws StoreTimeoutException if the lookup did not finish in time
   * @throws StoreException if the store cannot be read
   */
  Optional<SeriesInfo> series(String name, Duration timeout) throws StoreException;

  /**
   * Lists catalog entries whose name starts with {@code prefix}, in name order, starting after the
   * position {@code pageToken} encodes (empty for the first page), with no timeout of its own
   * (tools and tests).
   *
   * @throws StoreException if the store cannot be read
   * @throws IllegalArgumentException if the page token was not issued by this store
   */
  default SeriesPage listSeries(String prefix, int pageSize, String pageToken)
      throws StoreException {
    return listSeries(prefix, pageSize, pageToken, null);
  }

  /**
   * Lists like {@link #listSeries(String, int, String)} within {@code timeout}, or with no limit of
   * its own when null; zero or negative fails at once.
   *
   * @throws StoreTimeoutException if the listing did not finish in time
   * @throws StoreException if the store cannot be read
   * @throws IllegalArgumentException if the page token was not issued by this store
   */
  SeriesPage listSeries(String prefix, int pageSize, String pageToken, Duration timeout)
      throws StoreException;

  /** Releases the store's connections. */
  @Override
  void close();
}
