package io.eventflow.enrichment;

/**
 * What enrichment did for one event, written as the {@code enrichment.status} flag (its {@link
 * #label()}) next to the event in BigQuery, the archive and the republished Pub/Sub attributes.
 */
public enum EnrichmentStatus {
  /** The entity was found (fresh from a cache level or the store) and its attributes attached. */
  ENRICHED("enriched"),
  /**
   * The store has no entity with the event's key; nothing attached. Cached for the negative TTL.
   */
  NOT_FOUND("not_found"),
  /**
   * The store failed and the last known entity (older than the positive TTL) was attached instead.
   */
  STALE("stale"),
  /** The store failed and nothing was known about the key: the event goes on unenriched. */
  UNAVAILABLE("unavailable"),
  /** The event carries no key of the configured kind (e.g. no customer); nothing to look up. */
  NO_KEY("no_key");

  private final String label;

  EnrichmentStatus(String label) {
    this.label = label;
  }

  /** Returns the lower-case value written in the {@code enrichment.status} flag. */
  public String label() {
    return label;
  }
}
