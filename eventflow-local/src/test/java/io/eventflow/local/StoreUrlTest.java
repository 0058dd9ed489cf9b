package io.eventflow.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreUrlTest {
  private static final int ROWS = 50_000;

  /**
   * Flink interrupts a task's thread when it cancels the task; a store read in progress on that
   * thread must fail alone, not close the database file under the query service and every later
   * write (with H2's default {@code file:} the second read below fails with a closed channel).
   */
  @Test
  void anInterruptedReadLeavesTheStoreUsable(@TempDir Path dir) throws SQLException {
    String url = LocalStack.storeUrl(dir);
    try (Connection connection = DriverManager.getConnection(url)) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))");
      }
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
        for (int i = 0; i < ROWS; i++) {
          insert.setInt(1, i);
          insert.setString(2, "a value long enough to fill pages on disk, row " + i);
          insert.addBatch();
        }
        insert.executeBatch();
      }
    }
    // Reopened, its pages are on disk: the next query reads the file on the interrupted thread.
    try (Connection connection = DriverManager.getConnection(url)) {
      Thread.currentThread().interrupt();
      try {
        count(connection);
      } catch (SQLException interruptedReadMayFail) {
        // Either outcome is fine for the interrupted read itself; what follows must work.
      } finally {
        Thread.interrupted();
      }

      assertThat(count(connection)).isEqualTo(ROWS);
      try (Statement statement = connection.createStatement()) {
        statement.execute("INSERT INTO t VALUES (-1, 'written after the interrupt')");
      }
      assertThat(count(connection)).isEqualTo(ROWS + 1);
    }
  }

  private static long count(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT COUNT(*), SUM(LENGTH(v)) FROM t")) {
      rows.next();
      return rows.getLong(1);
    }
  }
}
