package io.eventflow.timeseries.srv;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.StoreTimeoutException;
import io.grpc.Deadline;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The read-through cache in front of the store: in-process Caffeine (L1), then Redis (L2), then the
 * loader (the store).
 *
 * <p>Only answers whose whole range ended at least the minimum age ago are cached: by then the
 * rollups job has finished writing those minutes, so the answer can no longer change. Answers for
 * unknown series are never cached, so a series that appears later is seen at once. Concurrent
 * identical misses load once: the first caller loads, the others wait for its result, each no
 * longer than its own deadline. The loader's future is completed whatever it throws (an {@code
 * Error} included), so no key is ever left waiting forever.
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
   * Returns the in-process answer to {@code query} if one is complete, without blocking, and counts
   * it as an L1 hit; otherwise null, counting nothing (then call {@link #get}).
   *
   * @param bypass the request's {@code no_cache}: always null
   */
  public GetIntervalValuesResponse getIfPresent(IntervalQuery query, boolean bypass) {
    if (bypass || !isCacheable(query)) {
      return null;
    }
    CompletableFuture<GetIntervalValuesResponse> f = l1.getIfPresent(query.cacheKey());
    if (f == null || !f.isDone() || f.isCompletedExceptionally()) {
      return null;
    }
    metrics.cacheLookup("l1", true);
    return f.join();
  }

  /**
   * Returns the answer to {@code query}: from a cache level when allowed and present, otherwise
   * from {@code loader}, filling both levels.
   *
   * @param bypass skip both levels (the request's {@code no_cache})
   * @param deadline when the caller stops waiting: a wait for an identical query's load, and the
   *     Redis level, end there
   * @throws StoreTimeoutException if the deadline passed while waiting for an identical query
   */
  public GetIntervalValuesResponse get(
      IntervalQuery query, boolean bypass, Deadline deadline, Loader loader)
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
      return await(existing, deadline);
    }
    metrics.cacheLookup("l1", false);
    try {
      GetIntervalValuesResponse answer = fromRedis(key, deadline);
      if (answer == null) {
        answer = loader.load();
        if (answer.getAggregateFunction() == AggregateFunction.AGGREGATE_FUNCTION_UNSPECIFIED) {
          // An unknown series: answer the waiters, but keep nothing.
          map.remove(key, mine);
        } else if (l2 != null && l2.hasTimeFor(deadline)) {
          l2.put(key, CachedAnswers.encode(answer));
        }
      }
      mine.complete(answer);
      return answer;
    } catch (Throwable t) {
      // Whatever the load threw, an Error included: the waiters get it and the key is free again.
      map.remove(key, mine);
      mine.completeExceptionally(t);
      throw t;
    }
  }

  private GetIntervalValuesResponse fromRedis(String key, Deadline deadline) {
    if (l2 == null || !l2.hasTimeFor(deadline)) {
      return null;
    }
    byte[] bytes = l2.get(key);
    if (bytes == null) {
      return null;
    }
    GetIntervalValuesResponse answer = CachedAnswers.decode(bytes);
    if (answer == null) {
      // A corrupt, truncated or foreign value: load from the store, which overwrites it.
      l2.corrupt(key);
    }
    return answer;
  }

  private static GetIntervalValuesResponse await(
      CompletableFuture<GetIntervalValuesResponse> f, Deadline deadline)
      throws StoreException, InvalidQueryException {
    try {
      return f.get(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new StoreTimeoutException(
          "the deadline passed while waiting for an identical query's store read", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreTimeoutException("interrupted while waiting for an identical query", e);
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
      // An Error in the loading thread: this caller's query failed with it, the JVM goes on.
      throw new CompletionException(cause);
    }
  }
}
