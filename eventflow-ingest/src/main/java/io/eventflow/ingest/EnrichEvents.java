package io.eventflow.ingest;

import com.github.benmanes.caffeine.cache.Ticker;
import io.eventflow.common.Entities;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Enrichment;
import io.eventflow.common.pb.Event;
import io.eventflow.enrichment.EntityCache;
import io.eventflow.enrichment.EntityLookup;
import io.eventflow.enrichment.EntityStores;
import io.eventflow.enrichment.Lookup;
import io.eventflow.enrichment.LookupStats;
import io.eventflow.enrichment.RedisEntityCache;
import io.eventflow.timeseries.store.EntityStore;
import io.eventflow.timeseries.store.StoreException;
import java.io.Serializable;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Attaches what is known about each event's customer, source or attribute value: the entity's
 * attributes and a status ({@link io.eventflow.enrichment.EnrichmentStatus}) in the event's {@code
 * enrichment} field, looked up through eventflow-enrichment's three levels. Every event comes out,
 * enriched or not: a failing store makes events {@code unavailable} (or {@code stale}), never
 * dropped or delayed beyond the lookup.
 *
 * <p>Lookups are batched per bundle: the events of a bundle are held until its end, then their
 * distinct keys are looked up at once (one Redis round trip and one store read for all the misses).
 * Runners bound bundles (Flink: 1,000 elements or 1 s by default; Dataflow streaming: a few
 * thousand), which bounds both the memory held and the delay added.
 */
public final class EnrichEvents extends PTransform<PCollection<Event>, PCollection<Event>> {
  private static final long serialVersionUID = 1L;

  /** The prefix of the enrichment counters in {@link ParseEvents#METRICS_NAMESPACE}. */
  static final String COUNTER_PREFIX = "enrichment.";

  /** How events are enriched; built from {@link EnrichmentOptions}. */
  record Config(
      KeySource source,
      @Nullable String attribute,
      String kind,
      String store,
      String redisUrl,
      int ttlSeconds,
      int negativeTtlSeconds,
      int staleSeconds,
      int cacheSize)
      implements Serializable {

    /** Returns the configuration the options describe, or null when enrichment is off. */
    static @Nullable Config of(EnrichmentOptions options) {
      String by = options.getEnrichBy();
      if (by.isEmpty()) {
        return null;
      }
      KeySource source;
      String attribute = null;
      if (by.equals("customer")) {
        source = KeySource.CUSTOMER;
      } else if (by.equals("source")) {
        source = KeySource.SOURCE;
      } else if (by.startsWith("attribute:") && by.length() > "attribute:".length()) {
        source = KeySource.ATTRIBUTE;
        attribute = by.substring("attribute:".length());
      } else {
        throw new IllegalArgumentException(
            "--enrichBy must be customer, source or attribute:NAME, got '" + by + "'");
      }
      String kind = options.getEnrichKind();
      if (kind.isEmpty()) {
        if (source == KeySource.ATTRIBUTE) {
          throw new IllegalArgumentException("--enrichBy=" + by + " needs --enrichKind");
        }
        kind = by;
      }
      return new Config(
          source,
          attribute,
          kind,
          options.getEntityStore(),
          options.getEnrichRedisUrl(),
          options.getEnrichTtlSeconds(),
          options.getEnrichNegativeTtlSeconds(),
          options.getEnrichStaleSeconds(),
          options.getEnrichCacheSize());
    }

    /** Adds one line per problem with the enrichment options (none when enrichment is off). */
    static void validate(EnrichmentOptions options, List<String> problems) {
      Config config;
      try {
        config = of(options);
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
        return;
      }
      if (config == null) {
        return;
      }
      try {
        Entities.checkKind(config.kind());
      } catch (IllegalArgumentException e) {
        problems.add("--enrichKind: " + e.getMessage());
      }
      if (config.store().isEmpty()) {
        problems.add("--enrichBy needs --entityStore, the table entities are looked up in");
      } else {
        try {
          EntityStores.check(config.store());
        } catch (IllegalArgumentException e) {
          problems.add("--entityStore: " + e.getMessage());
        }
      }
      if (!config.redisUrl().isEmpty() && !config.redisUrl().startsWith("redis://")) {
        problems.add("--enrichRedisUrl must be empty or redis://host:port");
      }
      if (config.ttlSeconds() <= 0 || config.negativeTtlSeconds() <= 0) {
        problems.add("--enrichTtlSeconds and --enrichNegativeTtlSeconds must be positive");
      }
      if (config.staleSeconds() < 0) {
        problems.add("--enrichStaleSeconds must not be negative");
      }
      if (config.cacheSize() <= 0) {
        problems.add("--enrichCacheSize must be positive");
      }
    }

    /** Returns the event's key of this configuration's source, or null when it has none. */
    @Nullable String keyOf(Event event) {
      String key =
          switch (source) {
            case CUSTOMER -> event.hasCustomer() ? event.getCustomer().getValue() : null;
            case SOURCE -> event.getSource();
            case ATTRIBUTE -> {
              AttributeValue value = event.getAttributesMap().get(attribute);
              if (value == null) {
                yield null;
              }
              yield switch (value.getValueCase()) {
                case STRING_VALUE -> value.getStringValue();
                case INT_VALUE -> Long.toString(value.getIntValue());
                default -> null;
              };
            }
          };
      return key == null || key.isBlank() || key.length() > Entities.MAX_KEY_LENGTH ? null : key;
    }

    EntityLookup.Settings settings() {
      return new EntityLookup.Settings(
          Duration.ofSeconds(ttlSeconds),
          Duration.ofSeconds(negativeTtlSeconds),
          Duration.ofSeconds(staleSeconds),
          cacheSize,
          EntityLookup.Settings.DEFAULTS.storeBackoff(),
          EntityLookup.Settings.DEFAULTS.loadWait());
    }
  }

  /** Which part of an event holds the key. */
  enum KeySource {
    CUSTOMER,
    SOURCE,
    ATTRIBUTE
  }

  private final Config config;

  EnrichEvents(Config config) {
    this.config = config;
  }

  @Override
  public PCollection<Event> expand(PCollection<Event> events) {
    return events
        .apply("LookUpEntities", ParDo.of(new EnrichEventsFn(config)))
        .setCoder(ProtoCoder.of(Event.class));
  }

  /** Returns the event with its enrichment (replacing any) for a key's answer. */
  public static Event enrich(Event event, String kind, @Nullable String key, Lookup answer) {
    Enrichment.Builder enrichment =
        Enrichment.newBuilder().setStatus(answer.status().label()).setKind(kind);
    if (key != null) {
      enrichment.setKey(key);
    }
    if (answer.entity() != null) {
      enrichment.putAllAttributes(answer.entity().getAttributesMap());
    }
    return event.toBuilder().setEnrichment(enrichment).build();
  }

  /** Holds a bundle's events, looks their keys up at the bundle's end, emits them enriched. */
  static final class EnrichEventsFn extends DoFn<Event, Event> {
    private static final long serialVersionUID = 1L;

    private final Config config;
    private transient SharedLookups.Handle lookup;
    private transient List<Pending> pending;
    private transient Map<io.eventflow.enrichment.EnrichmentStatus, Counter> counters;

    /** An event waiting for the bundle's lookup, with where it must be emitted. */
    private record Pending(
        Event event, @Nullable String key, Instant timestamp, BoundedWindow window) {}

    EnrichEventsFn(Config config) {
      this.config = config;
    }

    @Setup
    public void setup() throws StoreException {
      lookup = SharedLookups.acquire(config);
      counters = new EnumMap<>(io.eventflow.enrichment.EnrichmentStatus.class);
      for (io.eventflow.enrichment.EnrichmentStatus s :
          io.eventflow.enrichment.EnrichmentStatus.values()) {
        counters.put(s, Metrics.counter(ParseEvents.METRICS_NAMESPACE, COUNTER_PREFIX + s.label()));
      }
    }

    @StartBundle
    public void startBundle() {
      pending = new ArrayList<>();
    }

    @ProcessElement
    public void processElement(
        @Element Event event, @Timestamp Instant timestamp, BoundedWindow window) {
      pending.add(new Pending(event, config.keyOf(event), timestamp, window));
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      List<String> keys = new ArrayList<>(pending.size());
      for (Pending p : pending) {
        if (p.key() != null) {
          keys.add(p.key());
        }
      }
      Map<String, Lookup> answers = keys.isEmpty() ? Map.of() : lookup.lookup().lookupAll(keys);
      for (Pending p : pending) {
        Lookup answer = p.key() == null ? Lookup.NO_KEY : answers.get(p.key());
        counters.get(answer.status()).inc();
        context.output(
            enrich(p.event(), config.kind(), p.key(), answer), p.timestamp(), p.window());
      }
      pending = null;
    }

    @Teardown
    public void teardown() {
      if (lookup != null) {
        lookup.release();
        lookup = null;
      }
    }
  }

  /**
   * One lookup (L1, Redis connection pool, store client) per configuration and worker JVM, shared
   * by every DoFn instance (one per thread): L1 hits and single-flight only work when threads share
   * it. Closed when the last instance is torn down.
   */
  static final class SharedLookups {
    private static final Map<Config, Handle> SHARED = new HashMap<>();

    private SharedLookups() {}

    /** A shared lookup and what it holds open. */
    static final class Handle {
      private final Config config;
      private final EntityLookup lookup;
      private final EntityStore store;
      private final EntityCache l2;
      private int users;

      private Handle(Config config, EntityLookup lookup, EntityStore store, EntityCache l2) {
        this.config = config;
        this.lookup = lookup;
        this.store = store;
        this.l2 = l2;
      }

      EntityLookup lookup() {
        return lookup;
      }

      void release() {
        synchronized (SHARED) {
          if (--users == 0) {
            SHARED.remove(config);
            l2.close();
            store.close();
          }
        }
      }
    }

    static Handle acquire(Config config) throws StoreException {
      synchronized (SHARED) {
        Handle handle = SHARED.get(config);
        if (handle == null) {
          EntityStore store = EntityStores.open(config.store());
          LookupStats stats = new LookupStats();
          EntityCache l2 =
              config.redisUrl().isEmpty()
                  ? EntityCache.NONE
                  : RedisEntityCache.connect(
                      new RedisEntityCache.Settings(
                          URI.create(config.redisUrl()),
                          // Short: a slow Redis must cost less than the store read it saves.
                          Duration.ofMillis(200),
                          8,
                          Duration.ofSeconds(config.ttlSeconds()),
                          Duration.ofSeconds(config.negativeTtlSeconds()),
                          Duration.ofSeconds(5)),
                      Ticker.systemTicker(),
                      stats);
          handle =
              new Handle(
                  config,
                  new EntityLookup(
                      config.kind(), store, l2, config.settings(), Ticker.systemTicker(), stats),
                  store,
                  l2);
          SHARED.put(config, handle);
        }
        handle.users++;
        return handle;
      }
    }
  }
}
