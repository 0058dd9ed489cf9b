package io.eventflow.timeseries.srv;

import static io.eventflow.timeseries.srv.QueryCacheTest.sample;
import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.testing.RedisServerProcess;
import io.eventflow.timeseries.api.SeriesQuery;
import io.eventflow.timeseries.api.SeriesValues;
import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import io.grpc.Deadline;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Jedis;

/** The Redis level against a real redis-server, including one that dies or freezes mid-test. */
class RedisCacheTest {
  private static final io.eventflow.timeseries.store.AggregateFunction SUM =
      io.eventflow.timeseries.store.AggregateFunction.SUM;
  private static final String L2_HIT =
      "eventflow_timeseries_cache_lookups_total{level=\"l2\",result=\"hit\"}";
  private static final String L2_MISS =
      "eventflow_timeseries_cache_lookups_total{level=\"l2\",result=\"miss\"}";
  private static final String DEGRADED =
      "eventflow_timeseries_cache_degraded_total{reason=\"failed\"}";
  private static final String POOL_WAIT =
      "eventflow_timeseries_cache_degraded_total{reason=\"pool_wait\"}";
  private static final String CORRUPT =
      "eventflow_timeseries_cache_degraded_total{reason=\"corrupt\"}";

  private RedisServerProcess redis;
  private ServerFixture fixture;

  @BeforeEach
  void start() throws Exception {
    redis = RedisServerProcess.start();
    fixture = ServerFixture.start(c -> c.withRedis(redis.url()));
  }

  @AfterEach
  void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** A day of March 2024, long older than the minimum age. */
  private static SeriesQuery day(int dayOfMonth) {
    Instant start = Instant.parse(String.format("2024-03-%02dT00:00:00Z", dayOfMonth));
    return SeriesQuery.of("s", start, start.plus(Duration.ofDays(1)));
  }

  private static double only(SeriesValues values) {
    assertThat(values.size()).isEqualTo(1);
    return values.value(0);
  }

  @Test
  void replicasShareAnswersThroughRedis() throws Exception {
    ServerFixture replica = fixture.replica(c -> c.withRedis(redis.url()));
    fixture.record("s", SUM, "2024-03-10T12:00:00Z", 1, 1);
    assertThat(only(fixture.client.get(day(10)))).isEqualTo(1);

    // A late row neither cache knows about: the replica answers from Redis, not the store.
    fixture.record("s", SUM, "2024-03-10T12:01:00Z", 2, 1);

    assertThat(only(replica.client.get(day(10)))).isEqualTo(1);
    assertThat(sample(replica.server.metrics(), L2_HIT)).isEqualTo(1);
    assertThat(sample(fixture.server.metrics(), L2_MISS)).isEqualTo(1);
  }

  @Test
  void redisKilledMidTestFallsBackToTheStore() throws Exception {
    fixture.record("s", SUM, "2024-03-10T12:00:00Z", 1, 1);
    fixture.record("s", SUM, "2024-03-11T12:00:00Z", 5, 1);
    assertThat(only(fixture.client.get(day(10)))).isEqualTo(1);

    redis.kill();

    assertThat(only(fixture.client.get(day(11)))).isEqualTo(5);
    assertThat(sample(fixture.server.metrics(), DEGRADED)).isPositive();
    // The in-process level still answers what it holds.
    assertThat(only(fixture.client.get(day(10)))).isEqualTo(1);
  }

  @Test
  void redisIsUsedAgainAfterTheBackoffOnceItIsBack() throws Exception {
    fixture.record("s", SUM, "2024-03-12T12:00:00Z", 3, 1);
    fixture.record("s", SUM, "2024-03-13T12:00:00Z", 4, 1);
    redis.kill();
    assertThat(only(fixture.client.get(day(12)))).isEqualTo(3);
    long degraded = sample(fixture.server.metrics(), DEGRADED);

    redis.launch();
    fixture.clock.advance(ServerConfig.DEFAULT_REDIS_BACKOFF);

    assertThat(only(fixture.client.get(day(13)))).isEqualTo(4);
    assertThat(sample(fixture.server.metrics(), DEGRADED)).isEqualTo(degraded);
    ServerFixture replica = fixture.replica(c -> c.withRedis(redis.url()));
    assertThat(only(replica.client.get(day(13)))).isEqualTo(4);
    assertThat(sample(replica.server.metrics(), L2_HIT)).isEqualTo(1);
  }

  @Test
  void frozenRedisTimesOutAndFallsBackToTheStore() throws Exception {
    fixture.record("s", SUM, "2024-03-14T12:00:00Z", 6, 1);
    redis.freeze(true);
    try {
      assertThat(only(fixture.client.get(day(14)))).isEqualTo(6);
      assertThat(sample(fixture.server.metrics(), DEGRADED)).isPositive();
    } finally {
      redis.freeze(false);
    }
  }

  @Test
  void aValueThatFailsItsChecksIsNotServedAndIsOverwritten() throws Exception {
    fixture.record("s", SUM, "2024-03-15T12:00:00Z", 6, 1);
    String key = "eventflow:ts:" + IntervalQuery.parse(day(15).toRequest()).cacheKey();
    // What an older release stored: a bare answer, here a wrong one, without version or checksum.
    byte[] foreign =
        GetIntervalValuesResponse.newBuilder()
            .addTimestamps(day(15).toRequest().getStart().getSeconds())
            .addValues(99)
            .setAggregateFunction(AggregateFunction.AGGREGATE_FUNCTION_SUM)
            .build()
            .toByteArray();
    try (Jedis raw = new Jedis(redis.url())) {
      raw.set(key.getBytes(StandardCharsets.UTF_8), foreign);
    }

    assertThat(only(fixture.client.get(day(15)))).isEqualTo(6);
    assertThat(sample(fixture.server.metrics(), CORRUPT)).isEqualTo(1);
    // The store's answer replaced it: a fresh replica is served from Redis.
    ServerFixture replica = fixture.replica(c -> c.withRedis(redis.url()));
    assertThat(only(replica.client.get(day(15)))).isEqualTo(6);
    assertThat(sample(replica.server.metrics(), L2_HIT)).isEqualTo(1);
  }

  /**
   * A call with less time left than one Redis operation may take goes straight to the store: a
   * frozen Redis with a 10 s timeout does not hold a call whose deadline is 2 s away, and is not
   * counted as failing.
   */
  @Test
  void aCallWithLessTimeLeftThanTheRedisTimeoutSkipsRedis() throws Exception {
    Metrics metrics = new Metrics();
    RedisCache.Settings settings =
        RedisCache.Settings.of(ServerConfig.defaults("unused", 0, -1).withRedis(redis.url()))
            .withTimeout(Duration.ofSeconds(10));
    IntervalQuery march =
        new IntervalQuery(
            "s",
            Instant.parse("2024-03-01T00:00:00Z").getEpochSecond(),
            Instant.parse("2024-03-02T00:00:00Z").getEpochSecond(),
            ZoneOffset.UTC,
            Bucketing.calendar(CalendarUnit.DAY),
            null,
            false);
    GetIntervalValuesResponse fromStore =
        GetIntervalValuesResponse.newBuilder()
            .addTimestamps(march.start())
            .addValues(7)
            .setAggregateFunction(AggregateFunction.AGGREGATE_FUNCTION_SUM)
            .build();
    try (RedisCache l2 = RedisCache.connect(settings, fixture.clock, metrics)) {
      QueryCache cache =
          new QueryCache(
              1 << 20, Duration.ofHours(1), Duration.ofHours(1), l2, fixture.clock, metrics);
      redis.freeze(true);
      try {
        assertThat(cache.get(march, false, Deadline.after(2, TimeUnit.SECONDS), () -> fromStore))
            .isEqualTo(fromStore);
        assertThat(sample(metrics, DEGRADED)).isZero();
        assertThat(sample(metrics, L2_MISS)).isZero();
      } finally {
        redis.freeze(false);
      }
    }
  }

  @Test
  void waitingForAPooledConnectionIsNotARedisFailure() throws Exception {
    Metrics metrics = new Metrics();
    RedisCache.Settings settings =
        RedisCache.Settings.of(ServerConfig.defaults("unused", 0, -1).withRedis(redis.url()))
            .withPoolSize(1)
            // Not the default 50 ms: on a loaded machine the second lookup's real round trip
            // took longer, timed out and counted as a failure. The pool wait takes this long too.
            .withTimeout(java.time.Duration.ofSeconds(1));
    try (RedisCache cache = RedisCache.connect(settings, fixture.clock, metrics)) {
      // Every connection busy, as in a burst of concurrent misses.
      Connection busy = cache.pool().getResource();
      assertThat(cache.get("k")).isNull();
      busy.close();

      assertThat(sample(metrics, POOL_WAIT)).isEqualTo(1);
      assertThat(sample(metrics, DEGRADED)).isZero();
      // Redis was not switched off: the next lookup reaches it (a miss), with no back-off.
      assertThat(cache.get("k")).isNull();
      assertThat(sample(metrics, L2_MISS)).isEqualTo(1);
    }
  }
}
