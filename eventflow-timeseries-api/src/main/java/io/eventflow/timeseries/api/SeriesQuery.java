package io.eventflow.timeseries.api;

import com.google.protobuf.Timestamp;
import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.Fill;
import io.eventflow.timeseries.api.pb.GetIntervalValuesRequest;
import io.eventflow.timeseries.api.pb.Granularity;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A query for the bucketed values of one series in java.time terms; {@link #toRequest()} maps it to
 * the wire request. Buckets default to calendar days in UTC with the series' own function.
 */
public final class SeriesQuery {
  private final String name;
  private final Instant start;
  private final Instant end;
  private ZoneId zone = ZoneOffset.UTC;
  private Granularity granularity = Granularity.GRANULARITY_DAY;
  private Duration step;
  private AggregateFunction function = AggregateFunction.AGGREGATE_FUNCTION_UNSPECIFIED;
  private Fill fill = Fill.FILL_NONE;
  private boolean noCache;

  private SeriesQuery(String name, Instant start, Instant end) {
    this.name = Objects.requireNonNull(name, "name");
    this.start = Objects.requireNonNull(start, "start");
    this.end = Objects.requireNonNull(end, "end");
  }

  /** Starts a query for the series {@code name} over {@code [start, end)}. */
  public static SeriesQuery of(String name, Instant start, Instant end) {
    return new SeriesQuery(name, start, end);
  }

  /** Truncates buckets in this time zone (default UTC). */
  public SeriesQuery zone(ZoneId zone) {
    this.zone = Objects.requireNonNull(zone, "zone");
    return this;
  }

  /** Buckets by this calendar granularity; replaces any step. */
  public SeriesQuery granularity(Granularity granularity) {
    this.granularity = Objects.requireNonNull(granularity, "granularity");
    this.step = null;
    return this;
  }

  /** Buckets by this fixed step (whole minutes, up to a day); replaces any granularity. */
  public SeriesQuery step(Duration step) {
    this.step = Objects.requireNonNull(step, "step");
    this.granularity = null;
    return this;
  }

  /** Aggregates each bucket with this function instead of the series' own. */
  public SeriesQuery aggregate(AggregateFunction function) {
    this.function = Objects.requireNonNull(function, "function");
    return this;
  }

  /** Chooses what empty buckets return. */
  public SeriesQuery fill(Fill fill) {
    this.fill = Objects.requireNonNull(fill, "fill");
    return this;
  }

  /** Bypasses the server's caches (for debugging a stale answer). */
  public SeriesQuery noCache() {
    this.noCache = true;
    return this;
  }

  /** Returns the series name. */
  public String name() {
    return name;
  }

  /** Returns the time zone buckets are truncated in. */
  public ZoneId zone() {
    return zone;
  }

  /** Returns the wire form of this query. */
  public GetIntervalValuesRequest toRequest() {
    GetIntervalValuesRequest.Builder request =
        GetIntervalValuesRequest.newBuilder()
            .setName(name)
            .setStart(timestamp(start))
            .setEnd(timestamp(end))
            .setTimeZone(zone.getId())
            .setAggregateFunction(function)
            .setFill(fill)
            .setNoCache(noCache);
    if (step != null) {
      request.setStep(
          com.google.protobuf.Duration.newBuilder()
              .setSeconds(step.getSeconds())
              .setNanos(step.getNano()));
    } else {
      request.setGranularity(granularity);
    }
    return request.build();
  }

  static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder()
        .setSeconds(instant.getEpochSecond())
        .setNanos(instant.getNano())
        .build();
  }
}
