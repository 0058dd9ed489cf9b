package io.eventflow.enrichment;

import com.google.cloud.spanner.DatabaseId;
import com.google.cloud.spanner.SpannerOptions;
import io.eventflow.timeseries.store.EntityStore;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.jdbc.JdbcEntityStore;
import io.eventflow.timeseries.store.spanner.SpannerEntityStore;
import java.time.Clock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Opens the entities table named by one string, the form every option and flag takes. */
public final class EntityStores {
  private static final Pattern SPANNER =
      Pattern.compile("projects/([^/]+)/instances/([^/]+)/databases/([^/]+)");

  private EntityStores() {}

  /**
   * Checks a store name without opening it.
   *
   * @throws IllegalArgumentException if it is neither a {@code jdbc:h2:} URL nor {@code
   *     projects/P/instances/I/databases/D}
   */
  public static String check(String store) {
    if (!store.startsWith("jdbc:h2:") && !SPANNER.matcher(store).matches()) {
      throw new IllegalArgumentException(
          "entity store must be projects/PROJECT/instances/INSTANCE/databases/DATABASE (Spanner)"
              + " or a jdbc:h2: URL (the embedded store), got '"
              + store
              + "'");
    }
    return store;
  }

  /**
   * Opens the entities table of a Spanner database ({@code projects/P/instances/I/databases/D}; the
   * Spanner client honours {@code SPANNER_EMULATOR_HOST}) or of an embedded H2 database (a {@code
   * jdbc:h2:} URL, {@code ;AUTO_SERVER=TRUE} when another process has it open).
   *
   * @throws IllegalArgumentException if the name is neither
   * @throws StoreException if the H2 database cannot be opened
   */
  public static EntityStore open(String store) throws StoreException {
    check(store);
    if (store.startsWith("jdbc:h2:")) {
      return JdbcEntityStore.open(store, Clock.systemUTC());
    }
    Matcher m = SPANNER.matcher(store);
    if (!m.matches()) {
      throw new IllegalStateException("checked above");
    }
    return SpannerEntityStore.open(
        SpannerOptions.newBuilder().setProjectId(m.group(1)).build(),
        DatabaseId.of(m.group(1), m.group(2), m.group(3)));
  }
}
