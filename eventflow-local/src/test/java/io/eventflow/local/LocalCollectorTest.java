package io.eventflow.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.testing.Await;
import io.eventflow.timeseries.api.SeriesQuery;
import io.eventflow.timeseries.api.SeriesValues;
import io.eventflow.timeseries.api.TimeSeriesClient;
import io.eventflow.timeseries.api.pb.Granularity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events sent through the local stack's collector come out as exact series: a batch over HTTP with
 * a rejected event, and a client's retry of an accepted event (same id), counted once.
 */
class LocalCollectorTest {
  @TempDir Path dir;

  private static String purchase(String id, Instant at, String customer, long amount) {
    return "{\"id\":\""
        + id
        + "\",\"type\":\"purchase\",\"customer\":\""
        + customer
        + "\",\"timestamp\":\""
        + at
        + "\",\"attributes\":{\"amount\":{\"intValue\":\""
        + amount
        + "\"}}}";
  }

  /** Longer than the 5-minute default: a cold Flink start and up to 4 minutes for the answers. */
  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void eventsSentThroughTheCollectorBecomeExactSeries() throws Exception {
    LocalConfig config =
        LocalConfig.defaults()
            .withDataDir(dir)
            .withPorts(0, 0, -1)
            .withRollups("purchase:sum:amount")
            .withCollector(0);
    Instant day = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(2, ChronoUnit.DAYS);
    LocalStack stack = LocalStack.start(config);
    try {
      String url = stack.collectorUrl().orElseThrow();
      assertThat(URI.create(url).getHost()).isEqualTo("127.0.0.1");
      HttpClient http = HttpClient.newHttpClient();
      String batch =
          "["
              + purchase("c-1", day.plus(Duration.ofHours(1)), "acme", 10)
              + ","
              + purchase("c-2", day.plus(Duration.ofHours(5)), "acme", 20)
              + ","
              + purchase("c-3", day.plus(Duration.ofHours(9)), "globex", 5)
              + ",{\"id\":\"c-4\",\"type\":\"purchase\"}]"; // no attributes: rejected
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(url + "/v1/batch"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(batch))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).startsWith("{\"accepted\":3,\"rejected\":[{\"index\":3,");
      // A client that lost the answer sends c-2 again: ingest drops the repeat.
      HttpResponse<String> retry =
          http.send(
              HttpRequest.newBuilder(URI.create(url + "/v1/events"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          purchase("c-2", day.plus(Duration.ofHours(5)), "acme", 20)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(retry.statusCode()).isEqualTo(200);

      LocalDate date = day.atZone(ZoneOffset.UTC).toLocalDate();
      assertSeries(stack, "purchase.count", Map.of(date, 3.0), day);
      assertSeries(stack, "purchase.acme.count", Map.of(date, 2.0), day);
      assertSeries(stack, "purchase.amount.sum", Map.of(date, 35.0), day);
    } finally {
      stack.close();
    }
  }

  private static void assertSeries(
      LocalStack stack, String series, Map<LocalDate, Double> expected, Instant day)
      throws Exception {
    try (TimeSeriesClient client = TimeSeriesClient.connect(stack.grpcHostAndPort())) {
      SeriesQuery query =
          SeriesQuery.of(series, day.minus(Duration.ofDays(1)), day.plus(Duration.ofDays(2)))
              .zone(ZoneOffset.UTC)
              .granularity(Granularity.GRANULARITY_DAY)
              .noCache();
      Map<LocalDate, Double> actual = new TreeMap<>();
      Await.until(
          series + " = " + expected,
          Duration.ofMinutes(4),
          () -> {
            SeriesValues values = client.get(query);
            actual.clear();
            for (int i = 0; i < values.size(); i++) {
              actual.put(values.start(i).atZone(ZoneOffset.UTC).toLocalDate(), values.value(i));
            }
            return actual.equals(expected);
          });
      assertThat(actual).as(series).isEqualTo(expected);
    }
  }
}
