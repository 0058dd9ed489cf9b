package io.eventflow.timeseries.store.spanner;

import com.google.cloud.spanner.DatabaseClient;
import com.google.cloud.spanner.DatabaseId;
import com.google.cloud.spanner.Mutation;
import com.google.cloud.spanner.ResultSet;
import com.google.cloud.spanner.Spanner;
import com.google.cloud.spanner.SpannerException;
import com.google.cloud.spanner.SpannerOptions;
import com.google.cloud.spanner.Statement;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.IntervalWriter;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.StoreException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes intervals (insert-or-update mutations, at-least-once: they are idempotent) and merges
 * catalog entries (a read-write transaction, since first/last seen must widen, never move back).
 */
public final class SpannerIntervalWriter implements IntervalWriter {
  /**
   * Interval rows per commit. Spanner allows 80,000 mutations per commit and counts one per column:
   * 8,000 rows of {@value SpannerMutations#INTERVAL_COLUMNS} columns are 56,000, leaving room for a
   * future secondary index (which counts again).
   */
  public static final int MAX_ROWS_PER_COMMIT = 8_000;

  /**
   * The query {@link #mergeCatalog} runs first, binding {@code @names} to the distinct names of the
   * update in order of first appearance (public so tests of callers can answer it on a mock).
   */
  public static final String READ_CATALOG =
      "SELECT name, aggregate_function, first_seen, last_seen FROM series"
          + " WHERE name IN UNNEST(@names)";

  private final DatabaseClient client;
  private final AutoCloseable owned;

  /** Creates a writer through a client the caller owns (and closes). */
  public SpannerIntervalWriter(DatabaseClient client) {
    this(client, () -> {});
  }

  private SpannerIntervalWriter(DatabaseClient client, AutoCloseable owned) {
    this.client = client;
    this.owned = owned;
  }

  /**
   * Connects to a database with the given client options and owns the connection: {@link #close()}
   * closes it.
   */
  public static SpannerIntervalWriter open(SpannerOptions options, DatabaseId database) {
    Spanner spanner = options.getService();
    return new SpannerIntervalWriter(spanner.getDatabaseClient(database), spanner::close);
  }

  @Override
  public void write(Collection<IntervalRow> rows) throws StoreException {
    try {
      SpannerMutations.writeInCommits(
          client, rows, SpannerMutations::interval, MAX_ROWS_PER_COMMIT);
    } catch (SpannerException e) {
      throw new StoreException("cannot write " + rows.size() + " intervals to Spanner", e);
    }
  }

  @Override
  public void mergeCatalog(Collection<SeriesInfo> updates) throws StoreException {
    if (updates.isEmpty()) {
      return;
    }
    Map<String, SeriesInfo> merged = new LinkedHashMap<>();
    for (SeriesInfo update : updates) {
      merged.merge(update.name(), update, SpannerIntervalWriter::widen);
    }
    Statement read =
        Statement.newBuilder(READ_CATALOG).bind("names").toStringArray(merged.keySet()).build();
    try {
      client
          .readWriteTransaction()
          .run(
              tx -> {
                Map<String, SeriesInfo> stored = new LinkedHashMap<>();
                try (ResultSet rs = tx.executeQuery(read)) {
                  while (rs.next()) {
                    SeriesInfo info = SpannerIntervalStore.seriesInfo(rs);
                    stored.put(info.name(), info);
                  }
                }
                List<Mutation> mutations = new ArrayList<>();
                for (SeriesInfo update : merged.values()) {
                  SeriesInfo old = stored.get(update.name());
                  SeriesInfo next = old == null ? update : widen(old, update);
                  // Skip unchanged entries: most flushes only extend series already covered.
                  if (!next.equals(old)) {
                    mutations.add(SpannerMutations.series(next));
                  }
                }
                tx.buffer(mutations);
                return null;
              });
    } catch (SpannerException e) {
      throw new StoreException(
          "cannot merge " + merged.size() + " catalog entries into Spanner", e);
    }
  }

  /** Returns the stored entry widened to cover the update; the stored function wins. */
  static SeriesInfo widen(SeriesInfo stored, SeriesInfo update) {
    return new SeriesInfo(
        stored.name(),
        stored.function(),
        stored.firstSeen().isBefore(update.firstSeen()) ? stored.firstSeen() : update.firstSeen(),
        stored.lastSeen().isAfter(update.lastSeen()) ? stored.lastSeen() : update.lastSeen());
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
