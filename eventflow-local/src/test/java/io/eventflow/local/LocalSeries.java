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

  /**
   * Waits up to 4 minutes until the series' daily values from {@code before}'s UTC day over two
   * days total {@code expected}, then asserts it. For events stamped when they are sent or received
   * (MQTT readings, a page's events): their day is today's or, across midnight, tomorrow's.
   */
  static void assertTotal(LocalStack stack, String series, double expected, Instant before)
      throws Exception {
    Instant from = before.truncatedTo(ChronoUnit.DAYS);
    try (TimeSeriesClient client = TimeSeriesClient.connect(stack.grpcHostAndPort())) {
      SeriesQuery query =
          SeriesQuery.of(series, from, from.plus(Duration.ofDays(2)))
              .zone(ZoneOffset.UTC)
              .granularity(Granularity.GRANULARITY_DAY)
              .noCache();
      double[] total = new double[1];
      Await.until(
          series + " totals " + expected,
          Duration.ofMinutes(4),
          () -> {
            SeriesValues values = client.get(query);
            total[0] = 0;
            for (int i = 0; i < values.size(); i++) {
              total[0] += values.value(i);
            }
            return total[0] == expected;
          });
      assertThat(total[0]).as(series).isEqualTo(expected);
    }
  }
}
