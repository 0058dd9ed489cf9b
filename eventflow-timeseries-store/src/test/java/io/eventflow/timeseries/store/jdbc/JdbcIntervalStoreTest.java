package io.eventflow.timeseries.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.IntervalStoreContract;
import io.eventflow.timeseries.store.IntervalWriter;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store, written and read back through its real database file: the {@link
 * IntervalStoreContract} every adapter keeps, and what is H2's own (the file, the clock, the URL).
 */
class JdbcIntervalStoreTest extends IntervalStoreContract {
  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

  @TempDir Path dir;
  private String url;
  private JdbcIntervalWriter writer;
  private JdbcIntervalStore store;

  @BeforeEach
  void open() throws StoreException {
    url = "jdbc:h2:file:" + dir.resolve("intervals");
    writer = JdbcIntervalWriter.open(url);
    store = JdbcIntervalStore.open(url, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void close() {
    store.close();
    writer.close();
  }

  @Override
  protected IntervalStore store() {
    return store;
  }

  @Override
  protected IntervalWriter writer() {
    return writer;
  }

  @Override
  protected int rowsBeyondOneBatch() {
    return JdbcIntervalWriter.BATCH_SIZE * 2 + 17;
  }

  @Test
  void readsAreStampedWithTheInjectedClockAndLandInTheFile() throws StoreException {
    writer.write(List.of(row("a.count", Resolution.MINUTE, T0, 1, 5, 5)));

    assertThat(store.readIntervals("a.count", Resolution.MINUTE, T0, NOW).readTimestamp())
        .isEqualTo(NOW);
    assertThat(Files.exists(dir.resolve("intervals.mv.db"))).isTrue();
  }

  @Test
  void dataSurvivesReopeningTheFile() throws StoreException {
    writer.write(List.of(row("a.count", Resolution.MINUTE, T0, 1, 5, 5)));
    writer.close();
    store.close();

    writer = JdbcIntervalWriter.open(url);
    store = JdbcIntervalStore.open(url, Clock.fixed(NOW, ZoneOffset.UTC));

    assertThat(store.readIntervals("a.count", Resolution.MINUTE, T0, NOW).value(0)).isEqualTo(5.0);
  }

  @Test
  void failuresNeverCarryThePasswordOfTheUrl() throws Exception {
    // H2 takes the password from the URL; the query service logs store failures with their message.
    String secretUrl = "jdbc:h2:mem:secret-url;DB_CLOSE_DELAY=-1;USER=sa;PASSWORD=hunter2";
    try (JdbcIntervalStore secret = JdbcIntervalStore.open(secretUrl, Clock.systemUTC());
        Connection c = DriverManager.getConnection(secretUrl);
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE intervals");
      s.execute("DROP TABLE series");

      assertThatThrownBy(() -> secret.readIntervals("a.count", Resolution.MINUTE, T0, NOW))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining(";PASSWORD=***")
          .hasMessageNotContaining("hunter2");
      assertThatThrownBy(() -> secret.series("a.count"))
          .hasMessageContaining(";PASSWORD=***")
          .hasMessageNotContaining("hunter2");
      s.execute("SHUTDOWN");
    }
    assertThatThrownBy(
            () -> JdbcIntervalStore.open("jdbc:sqlite:x;PASSWORD=hunter2", Clock.systemUTC()))
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void nonH2UrlIsRejected() {
    assertThatThrownBy(() -> JdbcIntervalStore.open("jdbc:sqlite:/tmp/x", Clock.systemUTC()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdbc:h2:");
  }
}
