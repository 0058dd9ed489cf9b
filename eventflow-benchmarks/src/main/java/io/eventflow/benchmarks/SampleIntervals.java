package io.eventflow.benchmarks;

import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The interval rows the query-service benchmarks read: one SUM series with a row every minute and
 * every quarter-hour, as the rollups job writes them, fixed so runs compare.
 */
public final class SampleIntervals {
  /** The series' name, in the rollups job's naming scheme. */
  public static final String SERIES = "purchase.acme.amount.sum";

  /** The zone queries bucket in. */
  public static final ZoneId ZONE = ZoneId.of("America/New_York");

  /** The first local day with rows: March 2024, the month of the spring DST change. */
  public static final ZonedDateTime FIRST_DAY = LocalDate.of(2024, 3, 1).atStartOfDay(ZONE);

  /** Rows per write call: one transaction each, so a failure names a small range. */
  private static final int ROWS_PER_WRITE = 10_000;

  private SampleIntervals() {}

  /**
   * Writes {@code days} local days of rows from {@link #FIRST_DAY} into the H2 database at {@code
   * url}: minute rows of 0 to 1000 with 1 to 20 events (seeded), and quarter-hour rows holding the
   * sums of their 15 minutes, plus the series' catalog entry.
   */
  public static void write(String url, int days) throws StoreException {
    long start = FIRST_DAY.toEpochSecond();
    long end = FIRST_DAY.plusDays(days).toEpochSecond();
    SplittableRandom random = new SplittableRandom(42);
    try (JdbcIntervalWriter writer = JdbcIntervalWriter.open(url)) {
      List<IntervalRow> rows = new ArrayList<>(ROWS_PER_WRITE + 1);
      double quarterValue = 0;
      long quarterEvents = 0;
      for (long t = start; t < end; t += Resolution.MINUTE.seconds()) {
        double value = random.nextInt(100_000) / 100.0;
        long events = 1L + random.nextInt(20);
        rows.add(row(Resolution.MINUTE, t, value, events));
        quarterValue += value;
        quarterEvents += events;
        long next = t + Resolution.MINUTE.seconds();
        if (Resolution.QUARTER_HOUR.truncate(next) == next) {
          rows.add(
              row(
                  Resolution.QUARTER_HOUR,
                  Resolution.QUARTER_HOUR.truncate(t),
                  quarterValue,
                  quarterEvents));
          quarterValue = 0;
          quarterEvents = 0;
        }
        if (rows.size() >= ROWS_PER_WRITE) {
          writer.write(rows);
          rows.clear();
        }
      }
      writer.write(rows);
      writer.mergeCatalog(
          List.of(
              new SeriesInfo(
                  SERIES,
                  AggregateFunction.SUM,
                  Instant.ofEpochSecond(start),
                  Instant.ofEpochSecond(end - Resolution.MINUTE.seconds()))));
    }
  }

  private static IntervalRow row(Resolution resolution, long start, double value, long events) {
    return new IntervalRow(SERIES, resolution, Instant.ofEpochSecond(start), 0, value, events);
  }

  /** Deletes a directory and everything in it. */
  public static void deleteRecursively(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
