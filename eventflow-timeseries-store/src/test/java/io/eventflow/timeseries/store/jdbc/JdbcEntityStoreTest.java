package io.eventflow.timeseries.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.store.StoreException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded entities table, written and read back through a real database file. */
class JdbcEntityStoreTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2025-03-01T12:00:00Z"), ZoneOffset.UTC);

  @TempDir Path dir;

  static Entity customer(String key, String plan) {
    return Entity.newBuilder()
        .setKind("customer")
        .setKey(key)
        .putAttributes("plan", AttributeValues.of(plan))
        .putAttributes("seats", AttributeValues.of(3L))
        .build();
  }

  private String url() {
    return "jdbc:h2:file:" + dir.resolve("intervals");
  }

  @Test
  void upsertReplacesWholeRowsAndReadsReturnOnlyStoredKeysOfTheKind() throws StoreException {
    try (JdbcEntityStore store = JdbcEntityStore.open(url(), CLOCK)) {
      store.upsert(List.of(customer("acme", "gold"), customer("initech", "free")));
      Entity sourceNamedAcme = customer("acme", "x").toBuilder().setKind("source").build();
      store.upsert(
          List.of(
              Entity.newBuilder()
                  .setKind("customer")
                  .setKey("acme")
                  .putAttributes("plan", AttributeValues.of("platinum"))
                  .build(),
              sourceNamedAcme));

      Map<String, Entity> read = store.read("customer", List.of("acme", "initech", "nobody"));

      assertThat(read).containsOnlyKeys("acme", "initech");
      assertThat(read.get("acme").getAttributesMap())
          .containsOnlyKeys("plan")
          .containsEntry("plan", AttributeValues.of("platinum"));
      assertThat(read.get("initech")).isEqualTo(customer("initech", "free"));
      assertThat(store.read("source", List.of("acme"))).containsEntry("acme", sourceNamedAcme);
      assertThat(store.read("customer", List.of())).isEmpty();
    }
  }

  @Test
  void entitiesSurviveReopeningTheFileAndLargeLoadsSpanBatches() throws StoreException {
    List<Entity> many = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      many.add(customer("c" + i, i % 2 == 0 ? "gold" : "free"));
    }
    try (JdbcEntityStore store = JdbcEntityStore.open(url(), CLOCK)) {
      store.upsert(many);
    }
    try (JdbcEntityStore store = JdbcEntityStore.open(url(), CLOCK)) {
      Map<String, Entity> read = store.read("customer", List.of("c0", "c1", "c2499"));
      assertThat(read.get("c0").getAttributesMap())
          .containsEntry("plan", AttributeValues.of("gold"));
      assertThat(read.get("c2499").getAttributesMap())
          .containsEntry("plan", AttributeValues.of("free"));
      assertThat(read).hasSize(3);
    }
  }

  @Test
  void aRowThatIsNoEntityFailsTheReadWithAStoreException() throws Exception {
    try (JdbcEntityStore store = JdbcEntityStore.open(url(), CLOCK);
        java.sql.Connection c = java.sql.DriverManager.getConnection(url(), "sa", "");
        java.sql.Statement s = c.createStatement()) {
      s.execute("INSERT INTO entities VALUES ('customer', 'acme', X'FFFF', CURRENT_TIMESTAMP)");

      assertThatThrownBy(() -> store.read("customer", List.of("acme")))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("cannot read 1 customer entities");
    }
  }
}
