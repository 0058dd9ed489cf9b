package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import io.eventflow.timeseries.store.StoreException;
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
import org.junit.jupiter.api.Test;

class QueryCacheTest {
  private static final Instant NOW = Instant.parse("2024-12-01T00:00:00Z");

  private final MutableClock clock = new MutableClock(NOW);
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

  /** Returns the value of one sample line of the scrape, e.g. {@code name{labels}}. */
  static long sample(Metrics metrics, String series) {
    for (String line : metrics.scrape().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Long.parseLong(line.substring(series.length() + 1));
      }
    }
    return 0;
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
                        () -> {
                          loads.incrementAndGet();
                          try {
                            release.await();
                          } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                          }
                          return answer(42);
                        })));
      }
      // Hold the load until every other caller has found it in flight (each counts an L1 hit).
      String hits = "eventflow_timeseries_cache_lookups_total{level=\"l1\",result=\"hit\"}";
      while (sample(metrics, hits) < callers - 1) {
        Thread.sleep(5);
      }
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
                    () -> {
                      throw down;
                    }))
        .isSameAs(down);
    assertThat(cache.get(q, false, () -> answer(1)).getValues(0)).isEqualTo(1);
  }

  @Test
  void cacheableOnlyWhenTheWholeRangeIsOlderThanTheMinimumAge() {
    assertThat(cache.isCacheable(query(NOW.minus(Duration.ofHours(1))))).isTrue();
    assertThat(cache.isCacheable(query(NOW.minus(Duration.ofMinutes(59))))).isFalse();
  }

  @Test
  void bypassNeitherReadsNorFillsTheCache() throws Exception {
    IntervalQuery q = query(Instant.parse("2024-06-01T00:00:00Z"));
    cache.get(q, false, () -> answer(1));
    assertThat(cache.get(q, true, () -> answer(2)).getValues(0)).isEqualTo(2);
    assertThat(cache.get(q, false, () -> answer(3)).getValues(0)).isEqualTo(1);
  }
}
