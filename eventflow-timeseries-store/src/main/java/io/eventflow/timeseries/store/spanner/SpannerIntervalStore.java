package io.eventflow.timeseries.store.spanner;

import static io.eventflow.timeseries.store.spanner.SpannerMutations.instant;
import static io.eventflow.timeseries.store.spanner.SpannerMutations.timestamp;

import com.google.cloud.spanner.DatabaseClient;
import com.google.cloud.spanner.DatabaseId;
import com.google.cloud.spanner.ErrorCode;
import com.google.cloud.spanner.ReadOnlyTransaction;
import com.google.cloud.spanner.ResultSet;
import com.google.cloud.spanner.Spanner;
import com.google.cloud.spanner.SpannerException;
import com.google.cloud.spanner.SpannerOptions;
import com.google.cloud.spanner.Statement;
import com.google.cloud.spanner.TimestampBound;
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
import io.grpc.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads intervals and the series catalog from Spanner with bounded-staleness single-use reads.
 *
 * <p>Bounded staleness lets any replica serve a read without a round trip to the leader; the
 * rollups job flushes every 10 s by default, so data up to that old is already expected.
 */
public final class SpannerIntervalStore implements IntervalStore {
  /** The default bound: as stale as the rollups job's default flush interval. */
  public static final Duration DEFAULT_MAX_STALENESS = Duration.ofSeconds(10);

  static final String READ_INTERVALS =
      "SELECT interval_start, aggregate_value, event_count FROM intervals"
          + " WHERE series = @series AND resolution = @resolution"
          + " AND interval_start >= @start AND interval_start < @end"
          + " ORDER BY interval_start LIMIT @limit";
  static final String READ_SERIES =
      "SELECT name, aggregate_function, first_seen, last_seen FROM series WHERE name = @name";
  static final String LIST_SERIES =
      "SELECT name, aggregate_function, first_seen, last_seen FROM series"
          + " WHERE STARTS_WITH(name, @prefix) AND name > @after ORDER BY name LIMIT @limit";

  /** Fires the deadlines of reads with a timeout; one daemon thread for every store. */
  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "spanner-read-deadlines");
            t.setDaemon(true);
            return t;
          });

  private final DatabaseClient client;
  private final TimestampBound bound;
  private final AutoCloseable owned;

  /**
   * Creates a store reading through a client the caller owns (and closes), with reads at most
   * {@code maxStaleness} old.
   */
  public SpannerIntervalStore(DatabaseClient client, Duration maxStaleness) {
    this(client, maxStaleness, () -> {});
  }

  private SpannerIntervalStore(DatabaseClient client, Duration maxStaleness, AutoCloseable owned) {
    if (maxStaleness.isNegative()) {
      throw new IllegalArgumentException("max staleness must not be negative: " + maxStaleness);
    }
    this.client = client;
    this.bound =
        maxStaleness.isZero()
            ? TimestampBound.strong()
            : TimestampBound.ofMaxStaleness(maxStaleness.toNanos(), TimeUnit.NANOSECONDS);
    this.owned = owned;
  }

  /**
   * Connects to a database with the given client options (project, credentials or emulator host)
   * and owns the connection: {@link #close()} closes it. A zero staleness reads strongly.
   */
  public static SpannerIntervalStore open(
      SpannerOptions options, DatabaseId database, Duration maxStaleness) {
    Spanner spanner = options.getService();
    return new SpannerIntervalStore(
        spanner.getDatabaseClient(database), maxStaleness, spanner::close);
  }

  @Override
  public IntervalRows readIntervals(
      String series, Resolution resolution, Instant start, Instant end, ReadLimits limits)
      throws StoreException {
    String what = resolution + " intervals of " + series;
    Duration timeout = limits.remaining(what);
    Statement statement =
        Statement.newBuilder(READ_INTERVALS)
            .bind("series")
            .to(series)
            .bind("resolution")
            .to(resolution.seconds())
            .bind("start")
            .to(timestamp(start))
            .bind("end")
            .to(timestamp(end))
            // One row past the cap says the cap was exceeded without streaming the rest.
            .bind("limit")
            .to(limits.sqlLimit())
            .build();
    return within(timeout, what, () -> read(statement, what, limits.maxRows()));
  }

  /** A read that may fail only with the store's exception. */
  @FunctionalInterface
  private interface Read<T> {
    T run() throws StoreException;
  }

  /** Runs {@code read} with {@code timeout} as its call deadline, or as it is when null. */
  private static <T> T within(Duration timeout, String what, Read<T> read) throws StoreException {
    if (timeout == null) {
      return read.run();
    }
    // The client's gRPC calls take their deadline from the current gRPC Context (the caller's,
    // when it is a gRPC server thread): a shorter one here cancels the read in Spanner.
    Context.CancellableContext deadline =
        Context.current().withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS, DEADLINES);
    try {
      return deadline.call(read::run);
    } catch (StoreException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreException("cannot read " + what + " from Spanner", e);
    } finally {
      deadline.cancel(null);
    }
  }

  /** A failed read as the store's exception: a timeout when its deadline cancelled it. */
  private static StoreException failure(SpannerException e, String what) {
    if (e.getErrorCode() == ErrorCode.DEADLINE_EXCEEDED
        || e.getErrorCode() == ErrorCode.CANCELLED) {
      return new StoreTimeoutException("reading " + what + " from Spanner ran out of time", e);
    }
    return new StoreException("cannot read " + what + " from Spanner", e);
  }

  private IntervalRows read(Statement statement, String what, int maxRows) throws StoreException {
    long[] starts = new long[64];
    double[] values = new double[64];
    long[] counts = new long[64];
    int size = 0;
    try (ReadOnlyTransaction tx = client.singleUseReadOnlyTransaction(bound);
        ResultSet rs = tx.executeQuery(statement)) {
      while (rs.next()) {
        if (size == maxRows) {
          throw new RowLimitException(what, maxRows);
        }
        if (size == starts.length) {
          int capacity = (int) Math.min((long) size * 2, (long) maxRows + 1);
          starts = Arrays.copyOf(starts, capacity);
          values = Arrays.copyOf(values, capacity);
          counts = Arrays.copyOf(counts, capacity);
        }
        starts[size] = rs.getTimestamp(0).getSeconds();
        values[size] = rs.getDouble(1);
        counts[size] = rs.getLong(2);
        size++;
      }
      return new IntervalRows(starts, values, counts, size, instant(tx.getReadTimestamp()));
    } catch (SpannerException e) {
      throw failure(e, what);
    }
  }

  @Override
  public Optional<SeriesInfo> series(String name, Duration timeout) throws StoreException {
    String what = "series " + name;
    Statement statement = Statement.newBuilder(READ_SERIES).bind("name").to(name).build();
    return within(
        ReadLimits.remaining(timeout, what),
        what,
        () -> {
          try (ResultSet rs = client.singleUse(bound).executeQuery(statement)) {
            return rs.next() ? Optional.of(seriesInfo(rs)) : Optional.empty();
          } catch (SpannerException e) {
            throw failure(e, what);
          }
        });
  }

  @Override
  public SeriesPage listSeries(String prefix, int pageSize, String pageToken, Duration timeout)
      throws StoreException {
    if (pageSize < 1) {
      throw new IllegalArgumentException("page size must be positive, was " + pageSize);
    }
    String after = PageTokens.decode(prefix, pageToken);
    String what = "the series list";
    Duration left = ReadLimits.remaining(timeout, what);
    Statement statement =
        Statement.newBuilder(LIST_SERIES)
            .bind("prefix")
            .to(prefix)
            .bind("after")
            .to(after)
            .bind("limit")
            // One extra row says whether another page exists without a count query.
            .to((long) pageSize + 1)
            .build();
    return within(
        left,
        what,
        () -> {
          List<SeriesInfo> page = new ArrayList<>(Math.min(pageSize, 1024));
          boolean more = false;
          try (ResultSet rs = client.singleUse(bound).executeQuery(statement)) {
            while (rs.next()) {
              if (page.size() == pageSize) {
                more = true;
                break;
              }
              page.add(seriesInfo(rs));
            }
          } catch (SpannerException e) {
            throw failure(e, what);
          }
          String next = more ? PageTokens.encode(prefix, page.get(page.size() - 1).name()) : "";
          return new SeriesPage(List.copyOf(page), next);
        });
  }

  @Override
  public void close() {
    try {
      owned.close();
    } catch (Exception e) {
      throw new IllegalStateException("cannot close the Spanner client", e);
    }
  }

  static SeriesInfo seriesInfo(ResultSet rs) {
    return new SeriesInfo(
        rs.getString(0),
        AggregateFunction.valueOf(rs.getString(1)),
        instant(rs.getTimestamp(2)),
        instant(rs.getTimestamp(3)));
  }
}
