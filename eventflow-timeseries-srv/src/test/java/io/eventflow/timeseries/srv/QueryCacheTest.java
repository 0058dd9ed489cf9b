package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.testing.ManualClock;
import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.StoreTimeoutException;
import io.grpc.Deadline;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class QueryCacheTest {
  private static final Instant NOW = Instant.parse("2024-12-01T00:00:00Z");

  private static final String L1_MISSES =
      "eventflow_timeseries_cache_lookups_total{level=\"l1\",result=\"miss\"}";
  private static final String L1_HITS =
      "eventflow_timeseries_cache_lookups_total{level=\"l1\",result=\"hit\"}";

  private final ManualClock clock = new ManualClock(NOW);
  private final Metrics metrics = new Metrics();
  private final QueryCache cache =
      new QueryCache(1 << 20, Duration.ofHours(1), Duration.ofHours(1), null, clock, metrics);

  private static IntervalQuery query(Instant end) {
    return new IntervalQuery(
        "s",
        end.minus(Duration.ofDays(1)).getEpochSecond(),
        end.getEpochSecond(),
        ZoneOffset.UTC,
        Bucketing.calendar(CalendarUnit.DAY),
        null,
        false);
  }

  private static GetIntervalValuesResponse answer(double value) {
    return GetIntervalValuesResponse.newBuilder()
        .addTimestamps(0)
        .addValues(value)
        .setAggregateFunction(AggregateFunction.AGGREGATE_FUNCTION_SUM)
        .build();
  }

  /** Holds a load until the test releases it (10 s at most). */
  private static void awaitRelease(CountDownLatch release) {
    try {
      if (!release.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("not released in 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Starts a load of {@code q} on {@code pool} that waits for {@code release} and then runs {@code
   * then}; returns once the load is in flight (its L1 miss is counted).
   */
  private Future<GetIntervalValuesResponse> heldLoad(
      ExecutorService pool, IntervalQuery q, CountDownLatch release, QueryCache.Loader then)
      throws InterruptedException {
    Future<GetIntervalValuesResponse> load =
        pool.submit(
            () ->
                cache.get(
                    q,
                    false,
                    LATER,
                    () -> {
                      awaitRelease(release);
                      return then.load();
                    }));
    awaitSample(metrics, L1_MISSES, 1);
    return load;
  }

  /** A deadline far enough away never to matter. */
  private static final Deadline LATER = Deadline.after(1, TimeUnit.MINUTES);

  /** Returns the value of one sample line of the scrape, e.g. {@code name{labels}}. */
  static long sample(Metrics metrics, String series) {
    for (String line : metrics.scrape().split("\n")) {
      if (line.startsWith(series + " ")) {
        return (long) Double.parseDouble(line.substring(series.length() + 1));
      }
    }
    return 0;
  }

  /** Waits up to 10 s for a sample to reach {@code at least}, failing the test otherwise. */
  static void awaitSample(Metrics metrics, String series, long atLeast)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (sample(metrics, series) < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            series + " did not reach " + atLeast + " in 10 s:\n" + metrics.scrape());
      }
      // A condition checked again and again, not a pause standing for "nothing happened".
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  @Test
  void concurrentIdenticalMissesLoadOnce() throws Exception {
    IntervalQuery q = query(Instant.parse("2024-06-01T00:00:00Z"));
    AtomicInteger loads = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    int callers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<GetIntervalValuesResponse>> results = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        results.add(
            pool.submit(
                () ->
                    cache.get(
                        q,
                        false,
                        LATER,
                        () -> {
                          loads.incrementAndGet();
                          awaitRelease(release);
                          return answer(42);
                        })));
      }
      // Hold the load until every other caller has found it in flight (each counts an L1 hit).
      awaitSample(metrics, L1_HITS, callers - 1);
      release.countDown();
      for (Future<GetIntervalValuesResponse> r : results) {
        assertThat(r.get(10, TimeUnit.SECONDS).getValues(0)).isEqualTo(42);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(loads).hasValue(1);
  }

  @Test
  void failedLoadsAreNotCached() throws Exception {
    IntervalQuery q = query(Instant.parse("2024-06-01T00:00:00Z"));
    StoreException down = new StoreException("down", new RuntimeException());
    assertThatThrownBy(
            () ->
                cache.get(
                    q,
                    false,
                    LATER,
                    () -> {
                      throw down;
                    }))
        .isSameAs(down);
    assertThat(cache.get(q, false, LATER, () -> answer(1)).getValues(0)).isEqualTo(1);
  }

  @Test
  void cacheableOnlyWhenTheWholeRangeIsOlderThanTheMinimumAge() {
    assertThat(cache.isCacheable(query(NOW.minus(Duration.ofHours(1))))).isTrue();
    assertThat(cache.isCacheable(query(NOW.minus(Duration.ofMinutes(59))))).isFalse();
  }

  @Test
  void bypassNeitherReadsNorFillsTheCache() throws Exception {
    IntervalQuery q = query(Instant.parse("2024-06-01T00:00:00Z"));
    cache.get(q, false, LATER, () -> answer(1));
    assertThat(cache.get(q, true, LATER, () -> answer(2)).getValues(0)).isEqualTo(2);
    assertThat(cache.get(q, false, LATER, () -> answer(3)).getValues(0)).isEqualTo(1);
  }

  @Test
  void anErrorInTheLoaderReachesEveryWaiterAndFreesTheKey() throws Exception {
    IntervalQuery q = query(Instant.parse("2024-06-01T00:00:00Z"));
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<GetIntervalValuesResponse> loader =
          heldLoad(
              pool,
              q,
              release,
              () -> {
                throw new StackOverflowError("a loader bug");
              });
      Future<GetIntervalValuesResponse> waiter =
          pool.submit(() -> cache.get(q, false, LATER, () -> answer(2)));
      awaitSample(metrics, L1_HITS, 1);
      release.countDown();

      // Before, the Error escaped without completing the key's future: the waiter hung.
      assertThatThrownBy(() -> waiter.get(10, TimeUnit.SECONDS))
          .hasRootCauseInstanceOf(StackOverflowError.class);
      assertThatThrownBy(() -> loader.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(StackOverflowError.class);
      assertThat(cache.get(q, false, LATER, () -> answer(3)).getValues(0)).isEqualTo(3);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aWaiterGivesUpAtItsDeadline() throws Exception {
    IntervalQuery q = query(Instant.parse("2024-06-01T00:00:00Z"));
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    AtomicLong nanos = new AtomicLong();
    Deadline.Ticker ticker =
        new Deadline.Ticker() {
          @Override
          public long nanoTime() {
            return nanos.get();
          }
        };
    try {
      Future<GetIntervalValuesResponse> loader = heldLoad(pool, q, release, () -> answer(1));
      Deadline shortly = Deadline.after(100, TimeUnit.MILLISECONDS, ticker);
      nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));

      assertThatThrownBy(() -> cache.get(q, false, shortly, () -> answer(2)))
          .isInstanceOf(StoreTimeoutException.class)
          .hasMessage("the deadline passed while waiting for an identical query's store read");

      release.countDown();
      assertThat(loader.get(10, TimeUnit.SECONDS).getValues(0)).isEqualTo(1);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }
}
