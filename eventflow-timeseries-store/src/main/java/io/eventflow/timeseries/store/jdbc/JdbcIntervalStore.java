package io.eventflow.timeseries.store.jdbc;

import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRows;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.PageTokens;
import io.eventflow.timeseries.store.ReadLimits;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.RowLimitException;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.SeriesPage;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.StoreTimeoutException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.h2.api.ErrorCode;

/**
 * Reads intervals and the series catalog from the embedded H2 database the local stack and tests
 * use. Reads see every committed write (there is no staleness to configure).
 */
public final class JdbcIntervalStore implements IntervalStore {
  private static final String READ_INTERVALS =
      "SELECT interval_start, aggregate_value, event_count FROM intervals"
          + " WHERE series = ? AND resolution = ? AND interval_start >= ? AND interval_start < ?"
          + " ORDER BY interval_start LIMIT ?";
  private static final String READ_SERIES =
      "SELECT name, aggregate_function, first_seen, last_seen FROM series WHERE name = ?";
  private static final String LIST_SERIES =
      "SELECT name, aggregate_function, first_seen, last_seen FROM series"
          + " WHERE name LIKE ? ESCAPE '\\' AND name > ? ORDER BY name LIMIT ?";

  private final H2Database db;
  private final Clock clock;

  private JdbcIntervalStore(H2Database db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  /**
   * Opens the database at an H2 JDBC URL, creating it and its tables if needed. The clock stamps
   * each read's {@link IntervalRows#readTimestamp()}.
   *
   * <p>For a database shared between processes (the local stack's rollups job and query service),
   * use a file URL with {@code ;AUTO_SERVER=TRUE}, e.g. {@code
   * jdbc:h2:file:/var/lib/eventflow/intervals;AUTO_SERVER=TRUE}: H2 otherwise locks the file to the
   * first process.
   *
   * @throws StoreException if the database cannot be opened
   * @throws IllegalArgumentException if the URL is not a {@code jdbc:h2:} URL
   */
  public static JdbcIntervalStore open(String url, Clock clock) throws StoreException {
    return new JdbcIntervalStore(H2Database.open(url), clock);
  }

  @Override
  public IntervalRows readIntervals(
      String series, Resolution resolution, Instant start, Instant end, ReadLimits limits)
      throws StoreException {
    String what = resolution + " intervals of " + series;
    Duration timeout = limits.remaining(what);
    long[] starts = new long[64];
    double[] values = new double[64];
    long[] counts = new long[64];
    int size = 0;
    try (Connection c = db.connection();
        PreparedStatement s = c.prepareStatement(READ_INTERVALS)) {
      s.setString(1, series);
      s.setLong(2, resolution.seconds());
      s.setLong(3, ceilSeconds(start));
      s.setLong(4, ceilSeconds(end));
      // One row past the cap says the cap was exceeded without reading the rest.
      s.setLong(5, limits.sqlLimit());
      setTimeout(s, timeout);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          if (size == limits.maxRows()) {
            throw new RowLimitException(what, limits.maxRows());
          }
          if (size == starts.length) {
            int capacity = (int) Math.min((long) size * 2, limits.sqlLimit());
            starts = Arrays.copyOf(starts, capacity);
            values = Arrays.copyOf(values, capacity);
            counts = Arrays.copyOf(counts, capacity);
          }
          starts[size] = rs.getLong(1);
          values[size] = rs.getDouble(2);
          counts[size] = rs.getLong(3);
          size++;
        }
      }
    } catch (SQLException e) {
      throw failure(e, what, timeout);
    }
    return new IntervalRows(starts, values, counts, size, clock.instant());
  }

  /** Gives a statement its timeout, if any. */
  private static void setTimeout(PreparedStatement s, Duration timeout) throws SQLException {
    if (timeout != null) {
      // JDBC counts whole seconds: round up, so a 300 ms deadline gets 1 s, never 0 (no limit).
      s.setQueryTimeout((int) Math.min(Integer.MAX_VALUE, ceilSeconds(timeout)));
    }
  }

  /** A failed read as the store's exception: a timeout when H2 cancelled it for its timeout. */
  private StoreException failure(SQLException e, String what, Duration timeout) {
    if (e.getErrorCode() == ErrorCode.STATEMENT_WAS_CANCELED) {
      return new StoreTimeoutException(
          "reading " + what + " from " + db.url() + " took longer than " + timeout, e);
    }
    return new StoreException("cannot read " + what + " from " + db.url(), e);
  }

  private static long ceilSeconds(Duration d) {
    return d.getNano() == 0 ? d.getSeconds() : d.getSeconds() + 1;
  }

  @Override
  public Optional<SeriesInfo> series(String name, Duration timeout) throws StoreException {
    String what = "series " + name;
    ReadLimits.remaining(timeout, what);
    try (Connection c = db.connection();
        PreparedStatement s = c.prepareStatement(READ_SERIES)) {
      s.setString(1, name);
      setTimeout(s, timeout);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(seriesInfo(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw failure(e, what, timeout);
    }
  }

  @Override
  public SeriesPage listSeries(String prefix, int pageSize, String pageToken, Duration timeout)
      throws StoreException {
    if (pageSize < 1) {
      throw new IllegalArgumentException("page size must be positive, was " + pageSize);
    }
    String after = PageTokens.decode(prefix, pageToken);
    ReadLimits.remaining(timeout, "the series list");
    List<SeriesInfo> page = new ArrayList<>(Math.min(pageSize, 1024));
    boolean more = false;
    try (Connection c = db.connection();
        PreparedStatement s = c.prepareStatement(LIST_SERIES)) {
      s.setString(1, likePrefix(prefix));
      s.setString(2, after);
      // One extra row says whether another page exists without a count query.
      s.setLong(3, (long) pageSize + 1);
      setTimeout(s, timeout);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          if (page.size() == pageSize) {
            more = true;
            break;
          }
          page.add(seriesInfo(rs));
        }
      }
    } catch (SQLException e) {
      throw failure(e, "the series list", timeout);
    }
    String next = more ? PageTokens.encode(prefix, page.get(page.size() - 1).name()) : "";
    return new SeriesPage(List.copyOf(page), next);
  }

  @Override
  public void close() {
    db.close();
  }

  private static SeriesInfo seriesInfo(ResultSet rs) throws SQLException {
    return new SeriesInfo(
        rs.getString(1),
        AggregateFunction.valueOf(rs.getString(2)),
        Instant.ofEpochSecond(rs.getLong(3)),
        Instant.ofEpochSecond(rs.getLong(4)));
  }

  /** Interval starts are whole seconds, so {@code start >= t} is {@code start >= ceil(t)}. */
  private static long ceilSeconds(Instant t) {
    return t.getNano() == 0 ? t.getEpochSecond() : t.getEpochSecond() + 1;
  }

  private static String likePrefix(String prefix) {
    StringBuilder b = new StringBuilder(prefix.length() + 1);
    for (int i = 0; i < prefix.length(); i++) {
      char c = prefix.charAt(i);
      if (c == '%' || c == '_' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('%').toString();
  }
}
