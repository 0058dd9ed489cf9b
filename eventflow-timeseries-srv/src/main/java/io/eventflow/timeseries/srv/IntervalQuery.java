package io.eventflow.timeseries.srv;

import com.google.protobuf.Timestamp;
import io.eventflow.timeseries.api.pb.GetIntervalValuesRequest;
import io.eventflow.timeseries.store.SeriesNames;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A checked, normalized {@code GetIntervalValues} request. Two requests that must give the same
 * answer normalize to equal queries with equal {@link #cacheKey()}s.
 *
 * <p>The range is whole minutes: a minute row counts when its start lies in {@code [start, end)},
 * so both ends round up to the next minute boundary without changing the answer.
 *
 * @param series the series name
 * @param start the first minute of the range, epoch seconds (inclusive)
 * @param end the end of the range, epoch seconds (exclusive); equal to start for a range that
 *     contains no minute start
 * @param zone the zone buckets are truncated in, normalized (every UTC spelling is {@code Z})
 * @param bucketing how time is cut into buckets
 * @param aggregation the function applied within buckets, or null for the series' own
 * @param fillEmpty whether empty buckets are returned too
 */
public record IntervalQuery(
    String series,
    long start,
    long end,
    ZoneId zone,
    Bucketing bucketing,
    Aggregation aggregation,
    boolean fillEmpty) {

  /** Protobuf's Timestamp range, years 1 to 9999: outside it java.time and Spanner disagree. */
  private static final long MIN_SECONDS = -62_135_596_800L;

  private static final long MAX_SECONDS = 253_402_300_799L;

  /**
   * Checks and normalizes a request.
   *
   * @throws InvalidQueryException describing the first problem found
   */
  public static IntervalQuery parse(GetIntervalValuesRequest request) throws InvalidQueryException {
    if (request.getName().isEmpty()) {
      throw new InvalidQueryException("name is required");
    }
    if (request.getName().length() > SeriesNames.MAX_LENGTH) {
      // No series is stored under a longer name; refusing it also bounds the cache key's size.
      throw new InvalidQueryException(
          "name is "
              + request.getName().length()
              + " characters; series names have at most "
              + SeriesNames.MAX_LENGTH);
    }
    if (!request.hasStart() || !request.hasEnd()) {
      throw new InvalidQueryException("start and end are required");
    }
    long start = seconds("start", request.getStart());
    long end = seconds("end", request.getEnd());
    if (compare(request.getStart(), request.getEnd()) >= 0) {
      throw new InvalidQueryException("start must be before end (end is exclusive)");
    }
    ZoneId zone = zone(request.getTimeZone());
    Bucketing bucketing = bucketing(request);
    Aggregation aggregation =
        switch (request.getAggregateFunction()) {
          case AGGREGATE_FUNCTION_UNSPECIFIED -> null;
          case AGGREGATE_FUNCTION_SUM -> Aggregation.SUM;
          case AGGREGATE_FUNCTION_MIN -> Aggregation.MIN;
          case AGGREGATE_FUNCTION_MAX -> Aggregation.MAX;
          case AGGREGATE_FUNCTION_AVG -> Aggregation.AVG;
          case UNRECOGNIZED ->
              throw new InvalidQueryException(
                  "unknown aggregate_function " + request.getAggregateFunctionValue());
        };
    boolean fill =
        switch (request.getFill()) {
          case FILL_UNSPECIFIED, FILL_NONE -> false;
          case FILL_ZERO -> true;
          case UNRECOGNIZED ->
              throw new InvalidQueryException("unknown fill " + request.getFillValue());
        };
    return new IntervalQuery(
        request.getName(),
        ceilMinute(start, request.getStart().getNanos()),
        ceilMinute(end, request.getEnd().getNanos()),
        zone,
        bucketing,
        aggregation,
        fill);
  }

  /** Returns whether the range contains no minute start, so no bucket can have data. */
  public boolean isEmptyRange() {
    return start >= end;
  }

  /**
   * Returns the canonical text of this query: equal for queries with equal answers, different
   * otherwise. The series name comes last, so any character in it is unambiguous.
   */
  public String cacheKey() {
    return "v1|"
        + start
        + '|'
        + end
        + '|'
        + zone.getId()
        + '|'
        + bucketing.key()
        + '|'
        + (aggregation == null ? "OWN" : aggregation.name())
        + '|'
        + (fillEmpty ? "fill" : "sparse")
        + '|'
        + series;
  }

  private static long seconds(String field, Timestamp t) throws InvalidQueryException {
    if (t.getSeconds() < MIN_SECONDS
        || t.getSeconds() > MAX_SECONDS
        || t.getNanos() < 0
        || t.getNanos() > 999_999_999) {
      throw new InvalidQueryException(
          field + " is outside the timestamp range 0001-01-01 to 9999-12-31");
    }
    return t.getSeconds();
  }

  private static int compare(Timestamp a, Timestamp b) {
    int bySeconds = Long.compare(a.getSeconds(), b.getSeconds());
    return bySeconds != 0 ? bySeconds : Integer.compare(a.getNanos(), b.getNanos());
  }

  private static long ceilMinute(long seconds, int nanos) {
    long ceilSeconds = nanos > 0 ? seconds + 1 : seconds;
    return -Math.floorDiv(-ceilSeconds, 60) * 60;
  }

  private static ZoneId zone(String id) throws InvalidQueryException {
    if (id.isEmpty()) {
      return ZoneOffset.UTC;
    }
    try {
      return ZoneId.of(id).normalized();
    } catch (DateTimeException e) {
      throw new InvalidQueryException(
          "unknown time zone \"" + id + "\": expected an IANA zone such as America/New_York");
    }
  }

  private static Bucketing bucketing(GetIntervalValuesRequest request)
      throws InvalidQueryException {
    switch (request.getBucketingCase()) {
      case GRANULARITY:
        return switch (request.getGranularity()) {
          case GRANULARITY_MINUTE -> Bucketing.step(60);
          case GRANULARITY_HOUR -> Bucketing.step(3600);
          case GRANULARITY_DAY -> Bucketing.calendar(CalendarUnit.DAY);
          case GRANULARITY_WEEK -> Bucketing.calendar(CalendarUnit.WEEK);
          case GRANULARITY_ISO_WEEK -> Bucketing.calendar(CalendarUnit.ISO_WEEK);
          case GRANULARITY_MONTH -> Bucketing.calendar(CalendarUnit.MONTH);
          case GRANULARITY_QUARTER -> Bucketing.calendar(CalendarUnit.QUARTER);
          case GRANULARITY_YEAR -> Bucketing.calendar(CalendarUnit.YEAR);
          case GRANULARITY_ISO_YEAR -> Bucketing.calendar(CalendarUnit.ISO_YEAR);
          case GRANULARITY_UNSPECIFIED, UNRECOGNIZED ->
              throw new InvalidQueryException(
                  "granularity must be one of MINUTE, HOUR, DAY, WEEK, ISO_WEEK, MONTH, QUARTER,"
                      + " YEAR, ISO_YEAR");
        };
      case STEP:
        com.google.protobuf.Duration step = request.getStep();
        if (step.getNanos() != 0
            || step.getSeconds() % 60 != 0
            || step.getSeconds() < Bucketing.MIN_STEP_SECONDS
            || step.getSeconds() > Bucketing.MAX_STEP_SECONDS) {
          throw new InvalidQueryException(
              "step must be a whole number of minutes from 1 minute to 1 day, got "
                  + step.getSeconds()
                  + "s"
                  + (step.getNanos() != 0 ? " " + step.getNanos() + "ns" : ""));
        }
        return Bucketing.step(step.getSeconds());
      case BUCKETING_NOT_SET:
      default:
        throw new InvalidQueryException("set either granularity or step");
    }
  }
}
