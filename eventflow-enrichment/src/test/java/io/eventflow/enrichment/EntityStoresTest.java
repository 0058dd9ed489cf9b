package io.eventflow.enrichment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.timeseries.store.EntityStore;
import io.eventflow.timeseries.store.jdbc.JdbcEntityStore;
import org.junit.jupiter.api.Test;

/** The one string that names an entities table. */
class EntityStoresTest {
  @Test
  void spannerDatabasesAndH2UrlsAreAcceptedAndAnythingElseNamesBothForms() throws Exception {
    assertThat(EntityStores.check("projects/p/instances/i/databases/d"))
        .isEqualTo("projects/p/instances/i/databases/d");
    try (EntityStore store = EntityStores.open("jdbc:h2:mem:entity-stores-test")) {
      assertThat(store).isInstanceOf(JdbcEntityStore.class);
    }
    assertThatThrownBy(() -> EntityStores.check("projects/p/databases/d"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "entity store must be projects/PROJECT/instances/INSTANCE/databases/DATABASE (Spanner)"
                + " or a jdbc:h2: URL (the embedded store), got 'projects/p/databases/d'");
  }
}
