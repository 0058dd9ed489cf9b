package io.eventflow.enrichment;

import io.eventflow.common.pb.Entity;

/**
 * The answer for one key.
 *
 * @param status what the lookup found
 * @param entity the attached entity for {@link EnrichmentStatus#ENRICHED} and {@link
 *     EnrichmentStatus#STALE}; null otherwise
 */
public record Lookup(EnrichmentStatus status, Entity entity) {
  /** The answer for a key the store does not have. */
  public static final Lookup NOT_FOUND = new Lookup(EnrichmentStatus.NOT_FOUND, null);

  /** The answer when nothing is known about a key and the store failed. */
  public static final Lookup UNAVAILABLE = new Lookup(EnrichmentStatus.UNAVAILABLE, null);

  /** The answer for an event without a key. */
  public static final Lookup NO_KEY = new Lookup(EnrichmentStatus.NO_KEY, null);

  /** Returns the answer for a stored entity, or {@link #NOT_FOUND} for null. */
  public static Lookup of(Entity entity) {
    return entity == null ? NOT_FOUND : new Lookup(EnrichmentStatus.ENRICHED, entity);
  }
}
