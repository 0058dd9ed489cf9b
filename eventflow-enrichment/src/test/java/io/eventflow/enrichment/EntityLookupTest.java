package io.eventflow.enrichment;

import static io.eventflow.enrichment.EntityStoreFixture.customer;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import io.eventflow.common.AttributeValues;
import io.eventflow.testing.Await;
import io.eventflow.testing.ManualClock;
import io.eventflow.timeseries.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** L1 and the store (no Redis): TTLs on an injected ticker, batching, single-flight, store down. */
class EntityLookupTest {
  static final EntityLookup.Settings SETTINGS =
      new EntityLookup.Settings(
          Duration.ofMinutes(5),
          Duration.ofMinutes(1),
          Duration.ofHours(1),
          1_000,
          Duration.ofSeconds(1),
          Duration.ofSeconds(20));

  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final Ticker ticker = clock::nanoTime;
  private EntityStoreFixture store;
  private EntityLookup lookup;

  @BeforeEach
  void open() throws StoreException {
    store = new EntityStoreFixture().with("acme", "gold", "initech", "free");
    lookup = new EntityLookup("customer", store, EntityCache.NONE, SETTINGS, ticker);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void aBatchIsOneStoreReadAndRepeatsAreL1Hits() {
    Map<String, Lookup> first = lookup.lookupAll(List.of("acme", "initech", "acme", "nobody"));

    assertThat(first.get("acme")).isEqualTo(Lookup.of(customer("acme", "gold")));
    assertThat(first.get("initech").entity().getAttributesMap())
        .containsEntry("plan", AttributeValues.of("free"));
    assertThat(first.get("nobody")).isEqualTo(Lookup.NOT_FOUND);
    assertThat(store.reads).containsExactly(List.of("acme", "initech", "nobody"));

    Map<String, Lookup> second = lookup.lookupAll(List.of("acme", "nobody"));

    assertThat(second).isEqualTo(Map.of("acme", first.get("acme"), "nobody", Lookup.NOT_FOUND));
    assertThat(store.reads).hasSize(1);
    assertThat(lookup.stats().snapshot().l1Hits()).isEqualTo(2);
    assertThat(lookup.stats().snapshot().keys()).isEqualTo(5);
  }

  @Test
  void foundAndNotFoundExpireOnTheirOwnTtls() throws StoreException {
    lookup.lookupAll(List.of("acme", "nobody"));
    store.with("nobody", "silver");

    // 59 s: both fresh.
    clock.advance(Duration.ofSeconds(59));
    assertThat(lookup.lookupAll(List.of("acme", "nobody")).get("nobody"))
        .isEqualTo(Lookup.NOT_FOUND);
    assertThat(store.reads).hasSize(1);

    // 61 s: the negative TTL (1 min) is over, the positive one (5 min) is not.
    clock.advance(Duration.ofSeconds(2));
    Map<String, Lookup> after = lookup.lookupAll(List.of("acme", "nobody"));
    assertThat(after.get("nobody")).isEqualTo(Lookup.of(customer("nobody", "silver")));
    assertThat(store.reads.get(1)).containsExactly("nobody");

    // 5 min 1 s: acme is read again and sees the change.
    store.with("acme", "platinum");
    clock.advance(Duration.ofMinutes(4));
    assertThat(lookup.lookupAll(List.of("acme")).get("acme"))
        .isEqualTo(Lookup.of(customer("acme", "platinum")));
    assertThat(store.reads.get(2)).containsExactly("acme");
  }

  @Test
  void concurrentMissesOfOneKeyReadTheStoreOnce() throws Exception {
    int threads = 8;
    store.hold();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Map<String, Lookup>>> answers = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        answers.add(pool.submit(() -> lookup.lookupAll(List.of("acme"))));
      }
      // Every thread but the loading one is waiting on its flight before the read goes on.
      Await.until(
          "all threads asked",
          Duration.ofSeconds(30),
          () -> lookup.stats().snapshot().keys() >= threads);
      store.release();
      for (Future<Map<String, Lookup>> answer : answers) {
        assertThat(answer.get(30, TimeUnit.SECONDS).get("acme"))
            .isEqualTo(Lookup.of(customer("acme", "gold")));
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(store.reads).containsExactly(List.of("acme"));
    assertThat(lookup.stats().snapshot().waitedForOtherLoad()).isEqualTo(threads - 1);
  }

  @Test
  void storeDownServesStaleAndFlagsUnknownKeysAndBacksOff() {
    lookup.lookupAll(List.of("acme"));
    clock.advance(Duration.ofMinutes(6));
    store.down(true);

    Map<String, Lookup> down = lookup.lookupAll(List.of("acme", "initech"));

    assertThat(down.get("acme").status()).isEqualTo(EnrichmentStatus.STALE);
    assertThat(down.get("acme").entity()).isEqualTo(customer("acme", "gold"));
    assertThat(down.get("initech")).isEqualTo(Lookup.UNAVAILABLE);
    LookupStats.Snapshot stats = lookup.stats().snapshot();
    assertThat(stats.staleServed()).isEqualTo(1);
    assertThat(stats.unavailable()).isEqualTo(1);
    assertThat(stats.storeFailures()).isEqualTo(1);

    // Within the back-off the store is not asked again, even once it is back.
    store.down(false);
    assertThat(lookup.lookupAll(List.of("initech")).get("initech")).isEqualTo(Lookup.UNAVAILABLE);
    assertThat(lookup.stats().snapshot().storeReads()).isEqualTo(2);

    clock.advance(Duration.ofSeconds(1));
    Map<String, Lookup> back = lookup.lookupAll(List.of("acme", "initech"));
    assertThat(back.get("acme")).isEqualTo(Lookup.of(customer("acme", "gold")));
    assertThat(back.get("initech").status()).isEqualTo(EnrichmentStatus.ENRICHED);
  }

  @Test
  void staleEntriesAreGoneAfterTheStalePeriod() {
    lookup.lookupAll(List.of("acme"));
    clock.advance(SETTINGS.positiveTtl().plus(SETTINGS.staleFor()));
    store.down(true);

    assertThat(lookup.lookupAll(List.of("acme")).get("acme")).isEqualTo(Lookup.UNAVAILABLE);
  }
}
