package io.eventflow.timeseries.store.jdbc;

import io.eventflow.common.Redaction;
import io.eventflow.timeseries.store.Schemas;
import io.eventflow.timeseries.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import org.h2.jdbcx.JdbcConnectionPool;

/** A pooled connection to the embedded H2 database, with the schema applied on open. */
final class H2Database implements AutoCloseable {
  /** H2's default administrator; the database file is local and guarded by file permissions. */
  private static final String USER = "sa";

  /** The URL with credentials masked: it goes into messages the query service logs. */
  private final String redactedUrl;

  private final JdbcConnectionPool pool;

  private H2Database(String redactedUrl, JdbcConnectionPool pool) {
    this.redactedUrl = redactedUrl;
    this.pool = pool;
  }

  /** Opens (creating if needed) the database at a {@code jdbc:h2:} URL and applies the schema. */
  static H2Database open(String url) throws StoreException {
    // H2 takes ;PASSWORD=... in the URL itself, so no message may carry the URL unmasked.
    String redacted = Redaction.redactStore(url);
    if (!url.startsWith("jdbc:h2:")) {
      throw new IllegalArgumentException("not an H2 JDBC URL (jdbc:h2:...): " + redacted);
    }
    JdbcConnectionPool pool = JdbcConnectionPool.create(url, USER, "");
    H2Database db = new H2Database(redacted, pool);
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      for (String ddl : Schemas.h2Ddl()) {
        s.execute(ddl);
      }
    } catch (SQLException e) {
      pool.dispose();
      throw new StoreException("cannot open the interval database " + redacted, e);
    }
    return db;
  }

  /** Returns a pooled connection; closing it returns it to the pool. */
  Connection connection() throws SQLException {
    return pool.getConnection();
  }

  /** Sets one row's parameters on a prepared statement. */
  interface RowBinder<T> {
    void bind(PreparedStatement statement, T row) throws SQLException;
  }

  /**
   * Rows per JDBC batch: H2 gains little beyond a few hundred statements per round trip, and 1,000
   * rows of ~100 bytes keep each batch well under a megabyte.
   */
  static final int BATCH_SIZE = 1_000;

  /**
   * Runs {@code sql} once per row in batches of {@link #BATCH_SIZE}, all in one transaction (rolled
   * back on failure).
   */
  <T> void writeBatched(String sql, Collection<T> rows, RowBinder<T> binder) throws SQLException {
    try (Connection c = connection()) {
      c.setAutoCommit(false);
      try (PreparedStatement s = c.prepareStatement(sql)) {
        int batched = 0;
        for (T row : rows) {
          binder.bind(s, row);
          s.addBatch();
          if (++batched == BATCH_SIZE) {
            s.executeBatch();
            batched = 0;
          }
        }
        if (batched > 0) {
          s.executeBatch();
        }
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** Returns the JDBC URL with its credentials masked, for error messages. */
  String url() {
    return redactedUrl;
  }

  @Override
  public void close() {
    pool.dispose();
  }
}
