package io.eventflow.enrichment;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.store.EntityStore;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.jdbc.JdbcEntityStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The real embedded entities table (an in-memory H2 database) in front of which a test can record
 * every read, make reads fail as a down store would, or hold reads until it lets them go.
 */
final class EntityStoreFixture implements EntityStore {
  private final JdbcEntityStore store;

  /** The keys of every read that reached the table, one list per read. */
  final List<List<String>> reads = new CopyOnWriteArrayList<>();

  private volatile boolean down;
  private volatile CountDownLatch gate;

  EntityStoreFixture() throws StoreException {
    store = JdbcEntityStore.open("jdbc:h2:mem:" + UUID.randomUUID(), Clock.systemUTC());
  }

  static Entity customer(String key, String plan) {
    return Entity.newBuilder()
        .setKind("customer")
        .setKey(key)
        .putAttributes("plan", AttributeValues.of(plan))
        .build();
  }

  /** Stores customers with these keys and plans (key, plan, key, plan, ...). */
  EntityStoreFixture with(String... keysAndPlans) throws StoreException {
    List<Entity> entities = new ArrayList<>();
    for (int i = 0; i < keysAndPlans.length; i += 2) {
      entities.add(customer(keysAndPlans[i], keysAndPlans[i + 1]));
    }
    store.upsert(entities);
    return this;
  }

  /** Makes every read fail (true) or work again (false). */
  void down(boolean down) {
    this.down = down;
  }

  /** Holds every read until {@link #release()}. */
  void hold() {
    gate = new CountDownLatch(1);
  }

  void release() {
    gate.countDown();
  }

  @Override
  public Map<String, Entity> read(String kind, Collection<String> keys) throws StoreException {
    CountDownLatch g = gate;
    if (g != null) {
      try {
        if (!g.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never released the held read");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreException("interrupted", e);
      }
    }
    if (down) {
      throw new StoreException("the store is down (test)", null);
    }
    reads.add(List.copyOf(keys));
    return store.read(kind, keys);
  }

  @Override
  public void upsert(Collection<Entity> entities) throws StoreException {
    store.upsert(entities);
  }

  @Override
  public void close() {
    store.close();
  }
}
