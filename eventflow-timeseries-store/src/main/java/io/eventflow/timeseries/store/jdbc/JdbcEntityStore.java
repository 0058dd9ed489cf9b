package io.eventflow.timeseries.store.jdbc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.store.EntityStore;
import io.eventflow.timeseries.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/** The entities table in the embedded H2 database the local stack and tests use. */
public final class JdbcEntityStore implements EntityStore {
  private static final String READ =
      "SELECT entity_key, entity FROM entities WHERE kind = ? AND entity_key = ANY(?)";
  private static final String UPSERT =
      "MERGE INTO entities (kind, entity_key, entity, commit_time) KEY (kind, entity_key)"
          + " VALUES (?, ?, ?, ?)";

  private final H2Database db;
  private final Clock clock;

  private JdbcEntityStore(H2Database db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  /**
   * Opens the database at an H2 JDBC URL (the interval store's: one file holds every table),
   * creating it and its tables if needed. The clock stamps each row's {@code commit_time}.
   *
   * @throws StoreException if the database cannot be opened
   * @throws IllegalArgumentException if the URL is not a {@code jdbc:h2:} URL
   */
  public static JdbcEntityStore open(String url, Clock clock) throws StoreException {
    return new JdbcEntityStore(H2Database.open(url), clock);
  }

  @Override
  public Map<String, Entity> read(String kind, Collection<String> keys) throws StoreException {
    Map<String, Entity> found = new HashMap<>();
    if (keys.isEmpty()) {
      return found;
    }
    try (Connection c = db.connection();
        PreparedStatement s = c.prepareStatement(READ)) {
      s.setString(1, kind);
      s.setObject(2, keys.toArray(new String[0]));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          found.put(rs.getString(1), Entity.parseFrom(rs.getBytes(2)));
        }
      }
      return found;
    } catch (SQLException | InvalidProtocolBufferException e) {
      throw new StoreException(
          "cannot read " + keys.size() + " " + kind + " entities from " + db.url(), e);
    }
  }

  @Override
  public void upsert(Collection<Entity> entities) throws StoreException {
    OffsetDateTime now = OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    try {
      db.writeBatched(
          UPSERT,
          entities,
          (s, e) -> {
            s.setString(1, e.getKind());
            s.setString(2, e.getKey());
            s.setBytes(3, e.toByteArray());
            s.setObject(4, now);
          });
    } catch (SQLException e) {
      throw new StoreException("cannot write " + entities.size() + " entities to " + db.url(), e);
    }
  }

  @Override
  public void close() {
    db.close();
  }
}
