package io.eventflow.timeseries.store;

import java.util.Collection;

/**
 * The write side of interval storage, used by the rollups job. Every write is idempotent, so a
 * retried bundle may repeat any call without changing the result. Implementations are thread-safe.
 */
public interface IntervalWriter extends AutoCloseable {
  /**
   * Inserts the rows, replacing any stored row with the same primary key (series, resolution,
   * interval start, row id).
   *
   * @throws StoreException if the store cannot be written
   */
  void write(Collection<IntervalRow> rows) throws StoreException;

  /**
   * Merges catalog entries into the catalog: an unknown series is added; a known one keeps its
   * function and widens its first/last seen to cover the update (earliest first, latest last), so
   * updates commute and repeat safely.
   *
   * @throws StoreException if the store cannot be written
   */
  void mergeCatalog(Collection<SeriesInfo> updates) throws StoreException;

  /** Releases the writer's connections. */
  @Override
  void close();
}
