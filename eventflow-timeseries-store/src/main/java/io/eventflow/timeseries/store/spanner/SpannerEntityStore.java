package io.eventflow.timeseries.store.spanner;

import com.google.cloud.ByteArray;
import com.google.cloud.spanner.DatabaseClient;
import com.google.cloud.spanner.DatabaseId;
import com.google.cloud.spanner.Mutation;
import com.google.cloud.spanner.ResultSet;
import com.google.cloud.spanner.Spanner;
import com.google.cloud.spanner.SpannerException;
import com.google.cloud.spanner.SpannerOptions;
import com.google.cloud.spanner.Statement;
import com.google.cloud.spanner.Value;
import com.google.protobuf.InvalidProtocolBufferException;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.store.EntityStore;
import io.eventflow.timeseries.store.StoreException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The entities table in Spanner: strong single-use reads (a load is visible to the next lookup) and
 * insert-or-update mutations.
 */
public final class SpannerEntityStore implements EntityStore {
  /** The entities table of {@code spanner-schema.sql}. */
  public static final String ENTITIES = "entities";

  /** The read {@link #read} runs, binding {@code @kind} and {@code @keys} (public for mocks). */
  public static final String READ =
      "SELECT entity_key, entity FROM entities WHERE kind = @kind AND entity_key IN UNNEST(@keys)";

  /**
   * Entities per commit: 4 columns each, so 2,000 rows are 8,000 of Spanner's 80,000 mutations; the
   * bound that matters is the 100 MB commit size, which 2,000 entities of up to 1 MB could pass
   * only in theory (entities are a few hundred bytes).
   */
  public static final int MAX_ROWS_PER_COMMIT = 2_000;

  private final DatabaseClient client;
  private final AutoCloseable owned;

  private SpannerEntityStore(DatabaseClient client, AutoCloseable owned) {
    this.client = client;
    this.owned = owned;
  }

  /** Connects with the given client options and owns the connection: {@link #close()} closes it. */
  public static SpannerEntityStore open(SpannerOptions options, DatabaseId database) {
    Spanner spanner = options.getService();
    return new SpannerEntityStore(spanner.getDatabaseClient(database), spanner::close);
  }

  /** Returns the statement {@link #read} runs for these keys (for tests that answer it). */
  public static Statement readStatement(String kind, Collection<String> keys) {
    return Statement.newBuilder(READ)
        .bind("kind")
        .to(kind)
        .bind("keys")
        .toStringArray(keys)
        .build();
  }

  @Override
  public Map<String, Entity> read(String kind, Collection<String> keys) throws StoreException {
    Map<String, Entity> found = new HashMap<>();
    if (keys.isEmpty()) {
      return found;
    }
    try (ResultSet rs = client.singleUse().executeQuery(readStatement(kind, keys))) {
      while (rs.next()) {
        found.put(rs.getString(0), Entity.parseFrom(rs.getBytes(1).toByteArray()));
      }
      return found;
    } catch (SpannerException | InvalidProtocolBufferException e) {
      throw new StoreException(
          "cannot read " + keys.size() + " " + kind + " entities from Spanner", e);
    }
  }

  @Override
  public void upsert(Collection<Entity> entities) throws StoreException {
    try {
      SpannerMutations.writeInCommits(
          client, entities, SpannerEntityStore::mutation, MAX_ROWS_PER_COMMIT);
    } catch (SpannerException e) {
      throw new StoreException("cannot write " + entities.size() + " entities to Spanner", e);
    }
  }

  /** Returns the insert-or-update of one entity, stamped with the commit timestamp. */
  static Mutation mutation(Entity entity) {
    return Mutation.newInsertOrUpdateBuilder(ENTITIES)
        .set("kind")
        .to(entity.getKind())
        .set("entity_key")
        .to(entity.getKey())
        .set("entity")
        .to(ByteArray.copyFrom(entity.toByteArray()))
        .set("commit_time")
        .to(Value.COMMIT_TIMESTAMP)
        .build();
  }

  @Override
  public void close() {
    try {
      owned.close();
    } catch (Exception e) {
      throw new IllegalStateException("cannot close the Spanner client", e);
    }
  }
}
