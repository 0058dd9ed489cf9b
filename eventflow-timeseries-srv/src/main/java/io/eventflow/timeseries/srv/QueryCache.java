package io.eventflow.timeseries.srv;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.InvalidProtocolBufferException;
import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import io.eventflow.timeseries.store.StoreException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The read-through cache in front of the store: in-process Caffeine (L1), then Redis (L2), then the
 * loader (the store).
 *
 * <p>Only answers whose whole range ended at least the minimum age ago are cached: by then the
 * rollups job has finished writing those minutes, so the answer can no longer change. Answers for
 * unknown series are never cached, so a series that appears later is seen at once. Concurrent
 * identical misses load once: the first caller loads, the others wait for its result.
 */
public final class QueryCache {
  /** Loads an answer from the store on a miss. */
  @FunctionalInterface
  public interface Loader {
    /** Loads the answer. */
    GetIntervalValuesResponse load() throws StoreException, InvalidQueryException;
  }

  private final AsyncCache<String, GetIntervalValuesResponse> l1;
  private final RedisCache l2;
  private final long minAgeSeconds;
  private final Clock clock;
  private final Metrics metrics;

  /**
   * Creates a cache.
   *
   * @param l1MaxBytes the in-process cache's budget, in serialized bytes of the answers
   * @param ttl how long an answer stays in the in-process cache
   * @param minAge how long ago a range must have ended for its answer to be cached
   * @param l2 the Redis level, or null for none
   */
  public QueryCache(
      long l1MaxBytes, Duration ttl, Duration minAge, RedisCache l2, Clock clock, Metrics metrics) {
    this.l1 =
        Caffeine.newBuilder()
            .maximumWeight(l1MaxBytes)
            // Serialized size plus the key and ~100 bytes of object headers per entry.
            .<String, GetIntervalValuesResponse>weigher(
                (key, value) -> value.getSerializedSize() + 2 * key.length() + 100)
            .expireAfterWrite(ttl)
            .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
            .buildAsync();
    this.l2 = l2;
    this.minAgeSeconds = minAge.toSeconds();
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Returns whether the answer to {@code query} may be cached now. */
  public boolean isCacheable(IntervalQuery query) {
    return query.end() <= clock.instant().getEpochSecond() - minAgeSeconds;
  }

  /**
   * Returns the answer to {@code query}: from a cache level when allowed and present, otherwise
   * from {@code loader}, filling both levels.
   *
   * @param bypass skip both levels (the request's {@code no_cache})
   */
  public GetIntervalValuesResponse get(IntervalQuery query, boolean bypass, Loader loader)
      throws StoreException, InvalidQueryException {
    if (bypass || !isCacheable(query)) {
      return loader.load();
    }
    String key = query.cacheKey();
    ConcurrentMap<String, CompletableFuture<GetIntervalValuesResponse>> map = l1.asMap();
    CompletableFuture<GetIntervalValuesResponse> mine = new CompletableFuture<>();
    CompletableFuture<GetIntervalValuesResponse> existing = map.putIfAbsent(key, mine);
    if (existing != null) {
      metrics.cacheLookup("l1", true);
      return await(existing);
    }
    metrics.cacheLookup("l1", false);
    try {
      GetIntervalValuesResponse answer = fromRedis(key);
      if (answer == null) {
        answer = loader.load();
        if (answer.getAggregateFunction() == AggregateFunction.AGGREGATE_FUNCTION_UNSPECIFIED) {
          // An unknown series: answer the waiters, but keep nothing.
          map.remove(key, mine);
        } else if (l2 != null) {
          l2.put(key, answer.toByteArray());
        }
      }
      mine.complete(answer);
      return answer;
    } catch (StoreException | InvalidQueryException | RuntimeException e) {
      map.remove(key, mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  private GetIntervalValuesResponse fromRedis(String key) {
    if (l2 == null) {
      return null;
    }
    byte[] bytes = l2.get(key);
    if (bytes == null) {
      return null;
    }
    try {
      return GetIntervalValuesResponse.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      // A corrupt or foreign value: load from the store and overwrite it.
      metrics.cacheDegraded();
      return null;
    }
  }

  private static GetIntervalValuesResponse await(CompletableFuture<GetIntervalValuesResponse> f)
      throws StoreException, InvalidQueryException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof StoreException s) {
        throw s;
      }
      if (cause instanceof InvalidQueryException q) {
        throw q;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new CompletionException(cause);
    }
  }
}
