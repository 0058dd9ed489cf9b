package io.eventflow.timeseries.store.jdbc;

import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.IntervalWriter;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;

/**
 * Writes intervals and catalog entries to the embedded H2 database with batched {@code MERGE}
 * statements, one transaction per call.
 */
public final class JdbcIntervalWriter implements IntervalWriter {
  /** Rows per JDBC batch ({@link H2Database#writeBatched}). */
  static final int BATCH_SIZE = H2Database.BATCH_SIZE;

  /** Concurrent first inserts of one series race on its key; the loser retries as an update. */
  private static final int MAX_ATTEMPTS = 3;

  private static final String UNIQUE_VIOLATION = "23505";

  private static final String MERGE_INTERVAL =
      "MERGE INTO intervals (series, resolution, interval_start, row_id, aggregate_value,"
          + " event_count, commit_time)"
          + " KEY (series, resolution, interval_start, row_id)"
          + " VALUES (?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)";
  private static final String MERGE_SERIES =
      "MERGE INTO series t USING (VALUES (CAST(? AS VARCHAR(1024)), CAST(? AS VARCHAR(8)),"
          + " CAST(? AS BIGINT), CAST(? AS BIGINT))) s (name, aggregate_function, first_seen,"
          + " last_seen) ON t.name = s.name"
          + " WHEN MATCHED THEN UPDATE SET first_seen = LEAST(t.first_seen, s.first_seen),"
          + " last_seen = GREATEST(t.last_seen, s.last_seen), commit_time = CURRENT_TIMESTAMP"
          + " WHEN NOT MATCHED THEN INSERT (name, aggregate_function, first_seen, last_seen,"
          + " commit_time) VALUES (s.name, s.aggregate_function, s.first_seen, s.last_seen,"
          + " CURRENT_TIMESTAMP)";

  private final H2Database db;

  private JdbcIntervalWriter(H2Database db) {
    this.db = db;
  }

  /**
   * Opens the database at an H2 JDBC URL, creating it and its tables if needed (see {@link
   * JdbcIntervalStore#open} for sharing one file between processes).
   *
   * @throws StoreException if the database cannot be opened
   * @throws IllegalArgumentException if the URL is not a {@code jdbc:h2:} URL
   */
  public static JdbcIntervalWriter open(String url) throws StoreException {
    return new JdbcIntervalWriter(H2Database.open(url));
  }

  @Override
  public void write(Collection<IntervalRow> rows) throws StoreException {
    if (rows.isEmpty()) {
      return;
    }
    try {
      db.writeBatched(
          MERGE_INTERVAL,
          rows,
          (s, row) -> {
            s.setString(1, row.series());
            s.setLong(2, row.resolution().seconds());
            s.setLong(3, row.intervalStart().getEpochSecond());
            s.setLong(4, row.rowId());
            s.setDouble(5, row.value());
            s.setLong(6, row.eventCount());
          });
    } catch (SQLException e) {
      throw new StoreException("cannot write " + rows.size() + " intervals to " + db.url(), e);
    }
  }

  @Override
  public void mergeCatalog(Collection<SeriesInfo> updates) throws StoreException {
    if (updates.isEmpty()) {
      return;
    }
    for (int attempt = 1; ; attempt++) {
      try {
        mergeCatalogOnce(updates);
        return;
      } catch (SQLException e) {
        if (!UNIQUE_VIOLATION.equals(e.getSQLState()) || attempt == MAX_ATTEMPTS) {
          throw new StoreException(
              "cannot merge " + updates.size() + " catalog entries into " + db.url(), e);
        }
      }
    }
  }

  private void mergeCatalogOnce(Collection<SeriesInfo> updates) throws SQLException {
    try (Connection c = db.connection()) {
      c.setAutoCommit(false);
      try (PreparedStatement s = c.prepareStatement(MERGE_SERIES)) {
        for (SeriesInfo update : updates) {
          s.setString(1, update.name());
          s.setString(2, update.function().name());
          s.setLong(3, update.firstSeen().getEpochSecond());
          s.setLong(4, update.lastSeen().getEpochSecond());
          s.addBatch();
        }
        s.executeBatch();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  @Override
  public void close() {
    db.close();
  }
}
