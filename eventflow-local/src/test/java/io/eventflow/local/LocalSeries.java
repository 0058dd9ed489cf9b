package io.eventflow.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.testing.Await;
import io.eventflow.timeseries.api.SeriesQuery;
import io.eventflow.timeseries.api.SeriesValues;
import io.eventflow.timeseries.api.TimeSeriesClient;
import io.eventflow.timeseries.api.pb.Granularity;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** Waits for a local stack's series to answer what a test sent through one of its sources. */
final class LocalSeries {
  private LocalSeries() {}

  /** The total of a series' daily (UTC) values in [from, to), bypassing the cache. */
  static double total(TimeSeriesClient client, String series, Instant from, Instant to) {
    SeriesValues values =
        client.get(
            SeriesQuery.of(series, from, to)
                .zone(ZoneOffset.UTC)
                .granularity(Granularity.GRANULARITY_DAY)
                .noCache());
    double total = 0;
    for (int i = 0; i < values.size(); i++) {
      total += values.value(i);
    }
    return total;
  }

  /**
   * Waits up to 4 minutes until the series' total in [from, to) is {@code expected}, then asserts
   * it.
   */
  static void awaitTotal(
      TimeSeriesClient client, String series, double expected, Instant from, Instant to)
      throws Exception {
    double[] last = new double[1];
    Await.until(
        series + " totals " + expected,
        Duration.ofMinutes(4),
        () -> (last[0] = total(client, series, from, to)) == expected);
    assertThat(last[0]).as(series).isEqualTo(expected);
  }

  /**
   * {@link #awaitTotal} over two days from {@code before}'s UTC day: for events stamped when they
   * are sent or received (MQTT readings, a page's events), whose day is today's or, across
   * midnight, tomorrow's.
   */
  static void assertTotal(LocalStack stack, String series, double expected, Instant before)
      throws Exception {
    Instant from = before.truncatedTo(ChronoUnit.DAYS);
    try (TimeSeriesClient client = TimeSeriesClient.connect(stack.grpcHostAndPort())) {
      awaitTotal(client, series, expected, from, from.plus(Duration.ofDays(2)));
    }
  }
}
