package io.eventflow.timeseries.srv;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.Timestamp;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRows;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.ReadLimits;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.RowLimitException;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.StoreTimeoutException;
import io.grpc.Deadline;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Answers a query from the store: looks up the series' own function, reads its rows at the coarsest
 * resolution that gives the exact answer, and aggregates them into buckets.
 *
 * <p>Quarter-hour rows are read when the aggregation does not depend on resolution (see {@link
 * Aggregation#isResolutionIndependent}) and every bucket boundary inside the quarter-hour-aligned
 * part of the range is itself a quarter-hour boundary: hours, days, weeks, months and years in any
 * real zone (every offset in use today is a multiple of 15 minutes), and steps that are multiples
 * of 15 minutes. The ragged ends of a range that does not start or end on a quarter-hour are read
 * as minute rows. A year of daily buckets is then 35,040 rows instead of 525,600.
 */
public final class IntervalValuesReader {
  private static final long QUARTER = Resolution.QUARTER_HOUR.seconds();

  private final IntervalStore store;
  private final int maxBuckets;
  private final int maxRows;
  private final Clock clock;
  private final Metrics metrics;

  /**
   * A series' function never changes once written, so it is remembered: the catalog lookup would
   * otherwise be a second store round trip on every query.
   */
  private final Cache<String, AggregateFunction> functions =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofHours(1)).build();

  /**
   * Creates a reader.
   *
   * @param maxBuckets the most buckets one answer may have
   * @param maxRows the most store rows one answer may read, over all its reads
   * @param clock stamps answers for unknown series, which read no rows
   */
  public IntervalValuesReader(
      IntervalStore store, int maxBuckets, int maxRows, Clock clock, Metrics metrics) {
    this.store = store;
    this.maxBuckets = maxBuckets;
    this.maxRows = maxRows;
    this.clock = clock;
    this.metrics = metrics;
  }

  /**
   * Answers a query with no deadline (tools and benchmarks); see {@link #read(IntervalQuery,
   * Deadline)}.
   */
  public GetIntervalValuesResponse read(IntervalQuery query)
      throws StoreException, InvalidQueryException {
    return read(query, null);
  }

  /**
   * Answers a query; an unknown series has no buckets and an unspecified function.
   *
   * @param deadline when every store read must have finished (each, the catalog lookup included,
   *     gets the time left as its statement timeout or call deadline), or null for none
   * @throws InvalidQueryException if the answer would have more than the maximum of buckets
   * @throws RowLimitException if the reads would return more than the maximum of rows
   * @throws StoreTimeoutException if the deadline passed during a read
   * @throws StoreException if the store cannot be read
   */
  public GetIntervalValuesResponse read(IntervalQuery query, Deadline deadline)
      throws StoreException, InvalidQueryException {
    Budget budget = new Budget(deadline);
    Optional<AggregateFunction> own = seriesFunction(query.series(), budget);
    if (own.isEmpty()) {
      return GetIntervalValuesResponse.newBuilder()
          .setReadTimestamp(timestamp(clock.instant()))
          .build();
    }
    AggregateFunction seriesFunction = own.get();
    Aggregation aggregation =
        query.aggregation() != null ? query.aggregation() : Aggregation.of(seriesFunction);
    GetIntervalValuesResponse.Builder response =
        GetIntervalValuesResponse.newBuilder().setAggregateFunction(toProto(aggregation));
    if (query.isEmptyRange()) {
      return response.setReadTimestamp(timestamp(clock.instant())).build();
    }

    long start = query.start();
    long end = query.end();
    long[] bounds = query.bucketing().boundaries(query.zone(), start, end, maxBuckets);
    IntervalAggregator aggregator = new IntervalAggregator(bounds, seriesFunction, aggregation);
    long quarterStart = -Math.floorDiv(-start, QUARTER) * QUARTER;
    long quarterEnd = Math.floorDiv(end, QUARTER) * QUARTER;
    Instant readTimestamp;
    if (aggregation.isResolutionIndependent(seriesFunction)
        && quarterStart < quarterEnd
        && quarterAligned(bounds, quarterStart, quarterEnd)) {
      readTimestamp =
          read(query.series(), Resolution.MINUTE, start, quarterStart, aggregator, budget, null);
      readTimestamp =
          read(
              query.series(),
              Resolution.QUARTER_HOUR,
              quarterStart,
              quarterEnd,
              aggregator,
              budget,
              readTimestamp);
      readTimestamp =
          read(
              query.series(),
              Resolution.MINUTE,
              quarterEnd,
              end,
              aggregator,
              budget,
              readTimestamp);
    } else {
      readTimestamp = read(query.series(), Resolution.MINUTE, start, end, aggregator, budget, null);
    }

    IntervalAggregator.BucketValues values = aggregator.finish(query.fillEmpty());
    for (long s : values.starts()) {
      response.addTimestamps(s);
    }
    for (double v : values.values()) {
      response.addValues(v);
    }
    return response.setReadTimestamp(timestamp(readTimestamp)).build();
  }

  /** Reads {@code [start, end)} into the aggregator; returns the earliest read timestamp so far. */
  private Instant read(
      String series,
      Resolution resolution,
      long start,
      long end,
      IntervalAggregator aggregator,
      Budget budget,
      Instant earliest)
      throws StoreException {
    if (start >= end) {
      return earliest;
    }
    IntervalRows rows =
        store.readIntervals(
            series,
            resolution,
            Instant.ofEpochSecond(start),
            Instant.ofEpochSecond(end),
            budget.limits());
    budget.spend(rows.size());
    metrics.rowsRead(resolution, rows.size());
    aggregator.add(rows);
    // Separate reads may see different snapshots; the answer is at least as fresh as the oldest.
    Instant read = rows.readTimestamp();
    return earliest == null || read.isBefore(earliest) ? read : earliest;
  }

  /** What the reads of one answer may still take: rows left under the cap, and time. */
  private final class Budget {
    private final Deadline deadline;
    private int rowsLeft = maxRows;

    Budget(Deadline deadline) {
      this.deadline = deadline;
    }

    ReadLimits limits() {
      return new ReadLimits(rowsLeft, timeLeft());
    }

    /** The time left, or null for no deadline. */
    Duration timeLeft() {
      return deadline == null ? null : StoreCalls.timeLeft(deadline);
    }

    void spend(int rows) {
      rowsLeft -= rows;
    }
  }

  /** Returns whether every boundary strictly inside (from, to) is a quarter-hour boundary. */
  static boolean quarterAligned(long[] bounds, long from, long to) {
    for (long b : bounds) {
      if (b > from && b < to && Math.floorMod(b, QUARTER) != 0) {
        return false;
      }
    }
    return true;
  }

  private Optional<AggregateFunction> seriesFunction(String series, Budget budget)
      throws StoreException {
    AggregateFunction known = functions.getIfPresent(series);
    if (known != null) {
      return Optional.of(known);
    }
    Optional<SeriesInfo> info = store.series(series, budget.timeLeft());
    info.ifPresent(i -> functions.put(series, i.function()));
    return info.map(SeriesInfo::function);
  }

  /** Returns the wire form of an aggregation. */
  static io.eventflow.timeseries.api.pb.AggregateFunction toProto(Aggregation aggregation) {
    return switch (aggregation) {
      case SUM -> io.eventflow.timeseries.api.pb.AggregateFunction.AGGREGATE_FUNCTION_SUM;
      case MIN -> io.eventflow.timeseries.api.pb.AggregateFunction.AGGREGATE_FUNCTION_MIN;
      case MAX -> io.eventflow.timeseries.api.pb.AggregateFunction.AGGREGATE_FUNCTION_MAX;
      case AVG -> io.eventflow.timeseries.api.pb.AggregateFunction.AGGREGATE_FUNCTION_AVG;
    };
  }

  static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder()
        .setSeconds(instant.getEpochSecond())
        .setNanos(instant.getNano())
        .build();
  }
}
