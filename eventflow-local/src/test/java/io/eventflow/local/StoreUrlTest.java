package io.eventflow.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

  /**
   * A write the rollups job committed is in the file when the commit returns: the job tells Flink a
   * checkpoint's rows are written as soon as they are committed, and the next checkpoint no longer
   * holds them to write again. With H2's default write delay the commit stayed in memory for up to
   * half a second, and a {@code kill -9} in that time lost it for good.
   */
  @Test
  void aCommittedWriteSurvivesKillDashNineRightAfterTheCommit(@TempDir Path dir) throws Exception {
    String url = LocalStack.storeUrl(dir);
    try (Connection connection = DriverManager.getConnection(url);
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Committer.class.getName());
    command.add(url);
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> output = new ArrayList<>();
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        output.add(line);
        if (line.equals("COMMITTED")) {
          child.destroyForcibly();
          break;
        }
      }
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(output).as("what the child printed").contains("COMMITTED");

    try (Connection connection = DriverManager.getConnection(url)) {
      assertThat(count(connection)).isEqualTo(Committer.TRANSACTIONS * Committer.ROWS_EACH);
    }
  }

  /** The child: commits a few transactions of rows into t, says so, and waits to be killed. */
  public static final class Committer {
    static final int TRANSACTIONS = 5;
    static final int ROWS_EACH = 100;

    public static void main(String[] args) throws Exception {
      try (Connection connection = DriverManager.getConnection(args[0])) {
        connection.setAutoCommit(false);
        try (PreparedStatement insert =
            connection.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
          for (int t = 0; t < TRANSACTIONS; t++) {
            for (int i = 0; i < ROWS_EACH; i++) {
              insert.setInt(1, t * ROWS_EACH + i);
              insert.setString(2, "row " + i + " of transaction " + t);
              insert.addBatch();
            }
            insert.executeBatch();
            connection.commit();
          }
        }
        System.out.println("COMMITTED");
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
      }
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
