package io.eventflow.enrichment;

import static io.eventflow.enrichment.EntityStoreFixture.customer;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import io.eventflow.testing.ManualClock;
import io.eventflow.testing.RedisServerProcess;
import io.eventflow.timeseries.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * All three levels against a real redis-server: two workers sharing it, round trips, Redis down.
 */
class RedisEntityCacheTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final Ticker ticker = clock::nanoTime;
  private RedisServerProcess redis;
  private EntityStoreFixture store;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    redis = RedisServerProcess.start();
    store = new EntityStoreFixture();
    for (int i = 0; i < 100; i++) {
      store.with("c" + i, i % 3 == 0 ? "gold" : "free");
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    store.close();
    if (redis != null) {
      redis.close();
    }
  }

  /** A worker: its own L1, the shared Redis and the shared store. */
  private EntityLookup worker() {
    return new EntityLookup(
        "customer", store, redisCache(), EntityLookupTest.SETTINGS, ticker, new LookupStats());
  }

  /** Failures of every worker's Redis level. */
  private final LookupStats sharedStats = new LookupStats();

  private EntityCache redisCache() {
    RedisEntityCache cache =
        RedisEntityCache.connect(
            new RedisEntityCache.Settings(
                redis.url(),
                Duration.ofSeconds(1),
                4,
                Duration.ofMinutes(5),
                Duration.ofMinutes(1),
                Duration.ofSeconds(5)),
            ticker,
            sharedStats);
    closing.add(cache);
    return cache;
  }

  private static List<String> keys(int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add("c" + i);
    }
    keys.add("nobody");
    return keys;
  }

  /** Calls of one Redis command since the server started. */
  private long calls(String command) {
    try (Jedis admin = new Jedis(redis.url())) {
      for (String line : admin.info("commandstats").split("\r\n")) {
        if (line.startsWith("cmdstat_" + command + ":calls=")) {
          return Long.parseLong(line.substring(line.indexOf('=') + 1, line.indexOf(',')));
        }
      }
      return 0;
    }
  }

  @Test
  void aSecondWorkerIsAnsweredByRedisInOneRoundTripPerBatch() {
    Map<String, Lookup> first = worker().lookupAll(keys(100));
    assertThat(store.reads).hasSize(1);
    assertThat(calls("mget")).isEqualTo(1);
    assertThat(calls("psetex")).isEqualTo(101);

    EntityLookup second = worker();
    Map<String, Lookup> answers = second.lookupAll(keys(100));

    assertThat(answers).isEqualTo(first);
    assertThat(answers.get("c3")).isEqualTo(Lookup.of(customer("c3", "gold")));
    assertThat(answers.get("nobody")).isEqualTo(Lookup.NOT_FOUND);
    // The 101 answers took one MGET, nothing else, and no store read.
    assertThat(calls("mget")).isEqualTo(2);
    assertThat(calls("psetex")).isEqualTo(101);
    assertThat(store.reads).hasSize(1);
    assertThat(second.stats().snapshot().l2Hits()).isEqualTo(101);

    // The second worker's L1 holds them now: no Redis at all.
    second.lookupAll(keys(100));
    assertThat(calls("mget")).isEqualTo(2);
  }

  @Test
  void redisKeepsNotFoundForTheNegativeTtlOnly() throws StoreException {
    worker().lookupAll(List.of("nobody"));
    store.with("nobody", "gold");

    assertThat(worker().lookupAll(List.of("nobody")).get("nobody")).isEqualTo(Lookup.NOT_FOUND);
    try (Jedis admin = new Jedis(redis.url())) {
      assertThat(admin.pttl("eventflow:entity:customer:nobody")).isBetween(1L, 60_000L);
      assertThat(admin.pttl("eventflow:entity:customer:c0")).isEqualTo(-2L);
    }
  }

  @Test
  void redisDownLeavesL1AndTheStoreAndIsSkippedForItsBackoff() throws Exception {
    EntityLookup lookup = worker();
    redis.kill();

    Map<String, Lookup> answers = lookup.lookupAll(keys(10));

    assertThat(answers).hasSize(11);
    assertThat(answers.get("c0")).isEqualTo(Lookup.of(customer("c0", "gold")));
    assertThat(answers.get("nobody")).isEqualTo(Lookup.NOT_FOUND);
    assertThat(store.reads).hasSize(1);
    // The MGET failed; the write-back was skipped, not tried against a dead server.
    assertThat(sharedStats.snapshot().l2Failures()).isEqualTo(1);

    lookup.lookupAll(List.of("c50", "c51"));
    assertThat(sharedStats.snapshot().l2Failures()).isEqualTo(1);
    assertThat(store.reads).hasSize(2);

    // After the back-off Redis is tried again, and used once it is back.
    redis.launch();
    clock.advance(Duration.ofSeconds(5));
    lookup.lookupAll(List.of("c60"));
    assertThat(sharedStats.snapshot().l2Failures()).isEqualTo(1);
    assertThat(calls("psetex")).isEqualTo(1);
  }
}
