package io.eventflow.timeseries.store.spanner;

import com.google.cloud.Timestamp;
import com.google.cloud.spanner.DatabaseClient;
import com.google.cloud.spanner.Mutation;
import com.google.cloud.spanner.Value;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.SeriesInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/**
 * The Spanner mutations of the write side, shared by {@link SpannerIntervalWriter} and the rollups
 * job's SpannerIO sink so both write exactly the same columns.
 */
public final class SpannerMutations {
  /** The interval table of {@code spanner-schema.sql}. */
  public static final String INTERVALS = "intervals";

  /** The catalog table of {@code spanner-schema.sql}. */
  public static final String SERIES = "series";

  /**
   * Columns an interval row writes. Spanner counts one mutation per column per row against its
   * 80,000-mutations-per-commit limit.
   */
  public static final int INTERVAL_COLUMNS = 7;

  private SpannerMutations() {}

  /** Returns the insert-or-update of one interval row, stamped with the commit timestamp. */
  public static Mutation interval(IntervalRow row) {
    return Mutation.newInsertOrUpdateBuilder(INTERVALS)
        .set("series")
        .to(row.series())
        .set("resolution")
        .to(row.resolution().seconds())
        .set("interval_start")
        .to(timestamp(row.intervalStart()))
        .set("row_id")
        .to(row.rowId())
        .set("aggregate_value")
        .to(row.value())
        .set("event_count")
        .to(row.eventCount())
        .set("commit_time")
        .to(Value.COMMIT_TIMESTAMP)
        .build();
  }

  /**
   * Returns the insert-or-update of one catalog entry as given (callers merge first/last seen with
   * the stored entry; see {@link SpannerIntervalWriter#mergeCatalog}).
   */
  public static Mutation series(SeriesInfo info) {
    return Mutation.newInsertOrUpdateBuilder(SERIES)
        .set("name")
        .to(info.name())
        .set("aggregate_function")
        .to(info.function().name())
        .set("first_seen")
        .to(timestamp(info.firstSeen()))
        .set("last_seen")
        .to(timestamp(info.lastSeen()))
        .set("commit_time")
        .to(Value.COMMIT_TIMESTAMP)
        .build();
  }

  /**
   * Writes one mutation per row, at most {@code perCommit} per commit, at least once (every
   * caller's mutations are idempotent upserts).
   *
   * @throws com.google.cloud.spanner.SpannerException if a commit fails; earlier ones stand
   */
  public static <T> void writeInCommits(
      DatabaseClient client, Collection<T> rows, Function<T, Mutation> mutation, int perCommit) {
    List<Mutation> batch = new ArrayList<>(Math.min(rows.size(), perCommit));
    for (T row : rows) {
      batch.add(mutation.apply(row));
      if (batch.size() == perCommit) {
        client.writeAtLeastOnce(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      client.writeAtLeastOnce(batch);
    }
  }

  /** Converts an instant to a Spanner timestamp. */
  public static Timestamp timestamp(Instant instant) {
    return Timestamp.ofTimeSecondsAndNanos(instant.getEpochSecond(), instant.getNano());
  }

  /** Converts a Spanner timestamp to an instant. */
  public static Instant instant(Timestamp timestamp) {
    return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
  }
}
