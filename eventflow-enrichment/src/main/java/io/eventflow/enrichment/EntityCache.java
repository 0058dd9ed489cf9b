package io.eventflow.enrichment;

import io.eventflow.common.pb.Entity;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * The shared second cache level ({@link RedisEntityCache}). An optimization, never a dependency:
 * implementations absorb their own failures and answer as misses.
 */
public interface EntityCache extends AutoCloseable {
  /** A level that holds nothing: lookups go from L1 straight to the store. */
  EntityCache NONE =
      new EntityCache() {
        @Override
        public Map<String, Optional<Entity>> getAll(String kind, Collection<String> keys) {
          return Map.of();
        }

        @Override
        public void putAll(String kind, Map<String, Optional<Entity>> values) {}

        @Override
        public void close() {}
      };

  /**
   * Reads many keys in one round trip.
   *
   * @return the cached answers by key: an entity, or empty for a key the store is known not to
   *     have; keys not cached (or every key, when the cache is failing) are absent
   */
  Map<String, Optional<Entity>> getAll(String kind, Collection<String> keys);

  /**
   * Caches answers of the store in one round trip: present ones for the positive TTL, empty ones
   * (not found) for the negative TTL. Failures are absorbed.
   */
  void putAll(String kind, Map<String, Optional<Entity>> values);

  /** Releases connections. */
  @Override
  void close();
}
