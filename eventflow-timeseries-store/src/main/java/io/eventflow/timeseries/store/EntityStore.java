package io.eventflow.timeseries.store;

import io.eventflow.common.pb.Entity;
import java.util.Collection;
import java.util.Map;

/**
 * The entities table, the source of record enrichment looks metadata up in: one {@link Entity} per
 * (kind, key). Adapters: {@code SpannerEntityStore} and {@code JdbcEntityStore} (embedded H2).
 */
public interface EntityStore extends AutoCloseable {
  /**
   * Reads the entities of one kind with the given keys in one round trip.
   *
   * @return the stored entities by key; a key without a row is absent from the map
   * @throws StoreException if the store cannot be read
   */
  Map<String, Entity> read(String kind, Collection<String> keys) throws StoreException;

  /**
   * Inserts the entities or replaces their stored rows whole (upsert by kind and key). The caller
   * checks them first ({@code Entities.check}).
   *
   * @throws StoreException if the store cannot be written; some batches may have been written
   */
  void upsert(Collection<Entity> entities) throws StoreException;

  /** Releases the connection. */
  @Override
  void close();
}
