package io.eventflow.enrichment;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.eventflow.common.Entities;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.store.EntityStore;
import io.eventflow.timeseries.store.StoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Looks entities of one kind up through three levels: L1 in this process (Caffeine), L2 shared by
 * every worker ({@link EntityCache}, Redis), L3 the source of record ({@link EntityStore}).
 *
 * <ul>
 *   <li><b>Batched:</b> {@link #lookupAll} takes every key of a bundle; the L1 misses cost one L2
 *       round trip, the L2 misses one store read, and the store's answers one L2 write.
 *   <li><b>Negative caching:</b> "not found" is cached too, for its own (shorter) TTL, so an
 *       unknown customer does not cost a store read per event.
 *   <li><b>Single-flight:</b> a key being loaded by one thread is not loaded again by another; the
 *       second waits for the first's answer. So concurrent misses of one key cost one L2 read and
 *       at most one store read in this process, whatever the number of threads.
 *   <li><b>Stale on store errors:</b> a found entity stays in L1 for {@code staleFor} after its
 *       TTL; when the store fails it is served (counted as stale) instead of nothing. A key nothing
 *       is known about answers {@link Lookup#UNAVAILABLE}: the caller goes on without enrichment,
 *       never drops the event. After a failure the store is skipped for {@code storeBackoff}, so a
 *       dead store costs one timeout per back-off, not one per bundle.
 *   <li><b>L2 down:</b> the Redis level answers misses, so lookups go to L1 and the store only.
 * </ul>
 *
 * <p>Thread-safe; one instance per kind and process is meant to be shared by every thread.
 */
public final class EntityLookup {
  private static final Logger logger = Logger.getLogger(EntityLookup.class.getName());

  /**
   * How long answers live.
   *
   * @param positiveTtl how long a found entity is fresh in L1 (and in L2)
   * @param negativeTtl how long "not found" is cached in L1 (and in L2)
   * @param staleFor how long after its TTL a found entity is kept to be served when the store fails
   * @param maxEntries most keys in L1
   * @param storeBackoff how long the store is skipped after it failed
   * @param loadWait how long a thread waits for another thread's load of the same key
   */
  public record Settings(
      Duration positiveTtl,
      Duration negativeTtl,
      Duration staleFor,
      long maxEntries,
      Duration storeBackoff,
      Duration loadWait) {
    /**
     * The defaults: 5 minutes fresh (an entity change reaches events within 5 minutes plus the L2
     * TTL), 1 minute for "not found" (a newly loaded entity is picked up within a minute), stale
     * answers for a day, 100,000 keys (about 50 MB at 500 bytes an entity), 1 s back-off, 10 s
     * wait.
     */
    public static final Settings DEFAULTS =
        new Settings(
            Duration.ofMinutes(5),
            Duration.ofMinutes(1),
            Duration.ofDays(1),
            100_000,
            Duration.ofSeconds(1),
            Duration.ofSeconds(10));

    /** Checks the settings. */
    public Settings {
      if (positiveTtl.isNegative() || positiveTtl.isZero()) {
        throw new IllegalArgumentException("positive TTL must be positive: " + positiveTtl);
      }
      if (negativeTtl.isNegative() || negativeTtl.isZero()) {
        throw new IllegalArgumentException("negative TTL must be positive: " + negativeTtl);
      }
      if (staleFor.isNegative()) {
        throw new IllegalArgumentException("stale period must not be negative: " + staleFor);
      }
      if (maxEntries < 1) {
        throw new IllegalArgumentException("L1 must hold at least one entry: " + maxEntries);
      }
    }

    /** Returns a copy with other TTLs. */
    public Settings withTtls(Duration positive, Duration negative) {
      return new Settings(positive, negative, staleFor, maxEntries, storeBackoff, loadWait);
    }
  }

  /** An L1 entry: the answer and until when (ticker nanos) it is fresh. */
  private record Cached(Lookup fresh, long freshUntilNanos) {}

  private final String kind;
  private final EntityStore store;
  private final EntityCache l2;
  private final Settings settings;
  private final Ticker ticker;
  private final LookupStats stats;
  private final Cache<String, Cached> l1;
  private final ConcurrentHashMap<String, CompletableFuture<Lookup>> loading =
      new ConcurrentHashMap<>();
  private volatile long storeSkippedUntilNanos;
  private volatile boolean storeSkipping;

  /**
   * Creates a lookup of entities of {@code kind}.
   *
   * @param l2 the shared level, or {@link EntityCache#NONE}
   * @param ticker the time source of TTLs and back-offs ({@link Ticker#systemTicker()} outside
   *     tests)
   */
  public EntityLookup(
      String kind, EntityStore store, EntityCache l2, Settings settings, Ticker ticker) {
    this(kind, store, l2, settings, ticker, new LookupStats());
  }

  /**
   * Creates a lookup counting into {@code stats}, which the L2 level counts its failures into too
   * ({@link RedisEntityCache#connect}).
   */
  public EntityLookup(
      String kind,
      EntityStore store,
      EntityCache l2,
      Settings settings,
      Ticker ticker,
      LookupStats stats) {
    this.stats = stats;
    this.kind = Entities.checkKind(kind);
    this.store = store;
    this.l2 = l2;
    this.settings = settings;
    this.ticker = ticker;
    long positiveKeep = settings.positiveTtl().plus(settings.staleFor()).toNanos();
    long negativeKeep = settings.negativeTtl().toNanos();
    this.l1 =
        Caffeine.newBuilder()
            .maximumSize(settings.maxEntries())
            .ticker(ticker)
            // Maintenance on the calling thread: no background work, deterministic in tests.
            .executor(Runnable::run)
            .expireAfter(
                new Expiry<String, Cached>() {
                  @Override
                  public long expireAfterCreate(String key, Cached value, long now) {
                    return value.fresh().entity() != null ? positiveKeep : negativeKeep;
                  }

                  @Override
                  public long expireAfterUpdate(String key, Cached value, long now, long left) {
                    return expireAfterCreate(key, value, now);
                  }

                  @Override
                  public long expireAfterRead(String key, Cached value, long now, long left) {
                    return left;
                  }
                })
            .build();
  }

  /** Returns the kind this lookup reads. */
  public String kind() {
    return kind;
  }

  /** Returns the counters. */
  public LookupStats stats() {
    return stats;
  }

  /**
   * Answers every key (duplicates once). Never throws for a failing level: the answer says what
   * could be found.
   *
   * @return the answer for each distinct key
   */
  public Map<String, Lookup> lookupAll(Collection<String> keys) {
    long now = ticker.read();
    Map<String, Lookup> answers = new HashMap<>(Math.max(16, keys.size() * 2));
    Map<String, CompletableFuture<Lookup>> mine = null;
    Map<String, CompletableFuture<Lookup>> others = null;
    Map<String, Entity> stale = null;
    for (String key : keys) {
      if (answers.containsKey(key)
          || (mine != null && mine.containsKey(key))
          || (others != null && others.containsKey(key))) {
        continue;
      }
      stats.keys.increment();
      Cached cached = l1.getIfPresent(key);
      if (cached != null && now < cached.freshUntilNanos()) {
        stats.l1Hits.increment();
        answers.put(key, cached.fresh());
        continue;
      }
      CompletableFuture<Lookup> flight = new CompletableFuture<>();
      CompletableFuture<Lookup> earlier = loading.putIfAbsent(key, flight);
      if (earlier == null) {
        if (mine == null) {
          mine = new HashMap<>();
          stale = new HashMap<>();
        }
        mine.put(key, flight);
        if (cached != null && cached.fresh().entity() != null) {
          stale.put(key, cached.fresh().entity());
        }
      } else {
        if (others == null) {
          others = new HashMap<>();
        }
        others.put(key, earlier);
      }
    }
    if (mine != null) {
      load(mine, stale, answers);
    }
    if (others != null) {
      for (Map.Entry<String, CompletableFuture<Lookup>> other : others.entrySet()) {
        stats.waitedForOtherLoad.increment();
        answers.put(other.getKey(), await(other.getValue()));
      }
    }
    return answers;
  }

  /** Loads the keys this thread claimed from L2, then the store; completes every claim. */
  private void load(
      Map<String, CompletableFuture<Lookup>> mine,
      Map<String, Entity> stale,
      Map<String, Lookup> answers) {
    try {
      List<String> missing = new ArrayList<>(mine.size());
      Map<String, Optional<Entity>> fromL2 = l2.getAll(kind, mine.keySet());
      for (String key : mine.keySet()) {
        Optional<Entity> hit = fromL2.get(key);
        if (hit == null) {
          missing.add(key);
        } else {
          stats.l2Hits.increment();
          settle(key, Lookup.of(hit.orElse(null)), true, mine, answers);
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      Map<String, Entity> found;
      try {
        found = readStore(missing);
      } catch (StoreException | RuntimeException e) {
        stats.storeFailures.increment();
        for (String key : missing) {
          Entity last = stale.get(key);
          if (last != null) {
            stats.staleServed.increment();
            settle(key, new Lookup(EnrichmentStatus.STALE, last), false, mine, answers);
          } else {
            stats.unavailable.increment();
            settle(key, Lookup.UNAVAILABLE, false, mine, answers);
          }
        }
        return;
      }
      Map<String, Optional<Entity>> toL2 = new HashMap<>(missing.size() * 2);
      for (String key : missing) {
        Entity entity = found.get(key);
        toL2.put(key, Optional.ofNullable(entity));
        settle(key, Lookup.of(entity), true, mine, answers);
      }
      l2.putAll(kind, toL2);
    } finally {
      // Whatever went wrong, no waiter is left hanging and no claim outlives this call.
      for (Map.Entry<String, CompletableFuture<Lookup>> claim : mine.entrySet()) {
        if (claim.getValue().complete(Lookup.UNAVAILABLE)) {
          answers.putIfAbsent(claim.getKey(), Lookup.UNAVAILABLE);
        }
        loading.remove(claim.getKey(), claim.getValue());
      }
    }
  }

  /** Reads the store unless it is in its back-off; a failure starts the back-off. */
  private Map<String, Entity> readStore(List<String> keys) throws StoreException {
    if (storeSkipping && ticker.read() - storeSkippedUntilNanos < 0) {
      throw new StoreException(
          "the store failed less than " + settings.storeBackoff() + " ago", null);
    }
    try {
      stats.storeReads.increment();
      stats.storeKeys.add(keys.size());
      Map<String, Entity> found = store.read(kind, keys);
      storeSkipping = false;
      return found;
    } catch (StoreException | RuntimeException e) {
      storeSkippedUntilNanos = ticker.read() + settings.storeBackoff().toNanos();
      storeSkipping = true;
      logger.log(
          Level.WARNING,
          "entity store read of "
              + keys.size()
              + " "
              + kind
              + " keys failed; serving stale or unenriched answers, skipping the store for "
              + settings.storeBackoff(),
          e);
      throw e;
    }
  }

  /** Records one answer: in L1 when it came from L2 or the store, to the waiters and the caller. */
  private void settle(
      String key,
      Lookup answer,
      boolean cache,
      Map<String, CompletableFuture<Lookup>> mine,
      Map<String, Lookup> answers) {
    if (cache) {
      Duration ttl = answer.entity() != null ? settings.positiveTtl() : settings.negativeTtl();
      l1.put(key, new Cached(answer, ticker.read() + ttl.toNanos()));
    }
    answers.put(key, answer);
    mine.get(key).complete(answer);
  }

  private Lookup await(CompletableFuture<Lookup> flight) {
    try {
      return flight.get(settings.loadWait().toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Lookup.UNAVAILABLE;
    } catch (ExecutionException | TimeoutException e) {
      stats.unavailable.increment();
      return Lookup.UNAVAILABLE;
    }
  }

  /** Drops every L1 entry (for tests and benchmarks that measure the lower levels). */
  public void invalidateL1() {
    l1.invalidateAll();
  }
}
