package io.eventflow.ingest;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The enrichment step's options: which key of an event is looked up, in which kind of entity, where
 * the entities are, and how long answers are cached. Off unless {@code --enrichBy} is set.
 */
public interface EnrichmentOptions extends PipelineOptions {
  /** Returns {@code --enrichBy}, as described. */
  @Description(
      "Which key of each event to look entities up by: customer, source, or attribute:NAME (a"
          + " string or int attribute). Default: empty, no enrichment.")
  @Default.String("")
  String getEnrichBy();

  /** Sets {@code --enrichBy}. */
  void setEnrichBy(String value);

  /** Returns {@code --enrichKind}, as described. */
  @Description(
      "The entity kind looked up. Default: empty, meaning customer for --enrichBy=customer and"
          + " source for --enrichBy=source; required with attribute:NAME.")
  @Default.String("")
  String getEnrichKind();

  /** Sets {@code --enrichKind}. */
  void setEnrichKind(String value);

  /** Returns {@code --entityStore}, as described. */
  @Description(
      "The entities table: projects/P/instances/I/databases/D (Spanner) or a jdbc:h2: URL (the"
          + " embedded store). Required with --enrichBy.")
  @Default.String("")
  String getEntityStore();

  /** Sets {@code --entityStore}. */
  void setEntityStore(String value);

  /** Returns {@code --enrichRedisUrl}, as described. */
  @Description(
      "redis://host:port of the cache level shared by every worker. Default: empty, no Redis"
          + " level (lookups use the in-process cache and the store).")
  @Default.String("")
  String getEnrichRedisUrl();

  /** Sets {@code --enrichRedisUrl}. */
  void setEnrichRedisUrl(String value);

  /** Returns {@code --enrichTtlSeconds}, as described. */
  @Description("Seconds a found entity is cached (in each level). Default: 300.")
  @Default.Integer(300)
  int getEnrichTtlSeconds();

  /** Sets {@code --enrichTtlSeconds}. */
  void setEnrichTtlSeconds(int value);

  /** Returns {@code --enrichNegativeTtlSeconds}, as described. */
  @Description(
      "Seconds a key without an entity is cached as not found (in each level). Default: 60.")
  @Default.Integer(60)
  int getEnrichNegativeTtlSeconds();

  /** Sets {@code --enrichNegativeTtlSeconds}. */
  void setEnrichNegativeTtlSeconds(int value);

  /** Returns {@code --enrichStaleSeconds}, as described. */
  @Description(
      "Seconds after its TTL a found entity is still served (as stale) when the store fails."
          + " Default: 86400.")
  @Default.Integer(86_400)
  int getEnrichStaleSeconds();

  /** Sets {@code --enrichStaleSeconds}. */
  void setEnrichStaleSeconds(int value);

  /** Returns {@code --enrichCacheSize}, as described. */
  @Description("Most entities kept in each worker's in-process cache. Default: 100000.")
  @Default.Integer(100_000)
  int getEnrichCacheSize();

  /** Sets {@code --enrichCacheSize}. */
  void setEnrichCacheSize(int value);
}
