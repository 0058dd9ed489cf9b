package io.eventflow.benchmarks;

import io.eventflow.timeseries.srv.Aggregation;
import io.eventflow.timeseries.srv.Bucketing;
import io.eventflow.timeseries.srv.CalendarUnit;
import io.eventflow.timeseries.srv.IntervalAggregator;
import io.eventflow.timeseries.srv.InvalidQueryException;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRows;
import io.eventflow.timeseries.store.Resolution;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The query service's aggregation step, in rows per second: a month and a year of rows of a SUM
 * series into DAY buckets in America/New_York, from minute rows and from quarter-hour rows (the
 * reader uses quarter-hour rows whenever the bucket boundaries allow). Target: at least 10M rows/s
 * per core.
 *
 * <p>Each operation is the per-query work of {@code IntervalValuesReader} without the store: the
 * day boundaries in the zone ({@link Bucketing#boundaries}), a fresh {@link IntervalAggregator},
 * one pass over the columnar rows, and {@link IntervalAggregator#finish}. The rows are built once;
 * the store's read cost is measured separately by {@link QueryServiceBenchmark}.
 *
 * <p>The month is March 2024 in New York (31 local days, one of them 23 hours long: the spring DST
 * change), the year is 2023 (365 local days, both DST changes). The row counts are constants
 * because {@link OperationsPerInvocation} must be; {@link #setUp} checks them against the data.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class IntervalAggregationBenchmark {
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  /** 31 days of minutes less the hour skipped on 2024-03-10. */
  static final int MONTH_MINUTES = 31 * 1440 - 60;

  static final int MONTH_QUARTER_HOURS = MONTH_MINUTES / 15;

  /** 365 days of minutes: 2023's two DST changes cancel out. */
  static final int YEAR_MINUTES = 365 * 1440;

  static final int YEAR_QUARTER_HOURS = YEAR_MINUTES / 15;

  /** The answer may have at most this many buckets, the server's default limit. */
  private static final int MAX_BUCKETS = 100_000;

  private final Bucketing days = Bucketing.calendar(CalendarUnit.DAY);

  private Range month;
  private Range year;
  private IntervalRows monthMinutes;
  private IntervalRows monthQuarterHours;
  private IntervalRows yearMinutes;
  private IntervalRows yearQuarterHours;

  /** Builds one row per interval over both ranges at both resolutions, with seeded values. */
  @Setup
  public void setUp() {
    month = Range.localDates(LocalDate.of(2024, 3, 1), LocalDate.of(2024, 4, 1));
    year = Range.localDates(LocalDate.of(2023, 1, 1), LocalDate.of(2024, 1, 1));
    monthMinutes = rows(month, Resolution.MINUTE, MONTH_MINUTES);
    monthQuarterHours = rows(month, Resolution.QUARTER_HOUR, MONTH_QUARTER_HOURS);
    yearMinutes = rows(year, Resolution.MINUTE, YEAR_MINUTES);
    yearQuarterHours = rows(year, Resolution.QUARTER_HOUR, YEAR_QUARTER_HOURS);
  }

  /** A month of minute rows into 31 days. */
  @Benchmark
  @OperationsPerInvocation(MONTH_MINUTES)
  public IntervalAggregator.BucketValues monthOfMinuteRows() throws InvalidQueryException {
    return aggregate(month, monthMinutes);
  }

  /** A month of quarter-hour rows into 31 days. */
  @Benchmark
  @OperationsPerInvocation(MONTH_QUARTER_HOURS)
  public IntervalAggregator.BucketValues monthOfQuarterHourRows() throws InvalidQueryException {
    return aggregate(month, monthQuarterHours);
  }

  /** A year of minute rows into 365 days. */
  @Benchmark
  @OperationsPerInvocation(YEAR_MINUTES)
  public IntervalAggregator.BucketValues yearOfMinuteRows() throws InvalidQueryException {
    return aggregate(year, yearMinutes);
  }

  /** A year of quarter-hour rows into 365 days. */
  @Benchmark
  @OperationsPerInvocation(YEAR_QUARTER_HOURS)
  public IntervalAggregator.BucketValues yearOfQuarterHourRows() throws InvalidQueryException {
    return aggregate(year, yearQuarterHours);
  }

  private IntervalAggregator.BucketValues aggregate(Range range, IntervalRows rows)
      throws InvalidQueryException {
    long[] bounds = days.boundaries(NEW_YORK, range.start(), range.end(), MAX_BUCKETS);
    IntervalAggregator aggregator =
        new IntervalAggregator(bounds, AggregateFunction.SUM, Aggregation.SUM);
    aggregator.add(rows);
    return aggregator.finish(false);
  }

  /**
   * One row per interval of {@code range}, each a pane partial of 1 to 20 events with a value of 0
   * to 1000 (fixed seed, so runs compare).
   */
  private static IntervalRows rows(Range range, Resolution resolution, int expected) {
    long step = resolution.seconds();
    int n = Math.toIntExact((range.end() - range.start()) / step);
    if (n != expected) {
      throw new IllegalStateException(
          resolution + " rows: expected " + expected + " for the operation count, built " + n);
    }
    SplittableRandom random = new SplittableRandom(42);
    long[] starts = new long[n];
    double[] values = new double[n];
    long[] counts = new long[n];
    for (int i = 0; i < n; i++) {
      starts[i] = range.start() + i * step;
      values[i] = random.nextInt(100_000) / 100.0;
      counts[i] = 1L + random.nextInt(20);
    }
    return new IntervalRows(starts, values, counts, n, Instant.ofEpochSecond(range.end()));
  }

  /** A query range in epoch seconds, {@code [start, end)}. */
  private record Range(long start, long end) {
    /** The range from the first instant of one New York date to the first instant of another. */
    static Range localDates(LocalDate first, LocalDate endExclusive) {
      return new Range(
          first.atStartOfDay(NEW_YORK).toEpochSecond(),
          endExclusive.atStartOfDay(NEW_YORK).toEpochSecond());
    }
  }
}
