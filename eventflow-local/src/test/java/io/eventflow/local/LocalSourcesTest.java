package io.eventflow.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.eventflow.mqtt.BridgeConfig;
import io.eventflow.mqtt.LocalMqttBridge;
import io.eventflow.testing.Await;
import io.eventflow.timeseries.api.SeriesQuery;
import io.eventflow.timeseries.api.SeriesValues;
import io.eventflow.timeseries.api.TimeSeriesClient;
import io.eventflow.timeseries.api.pb.Granularity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events sent through the local stack's sources come out as exact series: through the collector, a
 * batch over HTTP with a rejected event and a client's retry of an accepted event (same id),
 * counted once; through the embedded MQTT broker, what {@code mosquitto_pub -t
 * devices/acme/sensor-1/reading -m '{"temp":21.5}'} sends becomes {@code reading.count}, {@code
 * reading.acme.count} and {@code reading.temp.sum}, and a device's payload that is not JSON goes to
 * the dead letters, not into a series. One stack for both: a Flink start is the expensive part.
 */
class LocalSourcesTest {
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
  void eventsSentThroughTheCollectorAndMqttBecomeExactSeries() throws Exception {
    LocalConfig config =
        LocalConfig.defaults()
            .withDataDir(dir)
            .withPorts(0, 0, -1)
            .withMqtt(0, BridgeConfig.DEFAULT_TEMPLATES)
            .withRollups("purchase:sum:amount,reading:sum:temp")
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

      // Devices: QoS 1, as mosquitto_pub -q 1 sends. A raw reading's id derives from its topic and
      // payload, so the two readings differ in their payloads to count as two.
      Instant before = Instant.now();
      URI mqtt = URI.create(stack.mqttUri().orElseThrow());
      Mqtt3BlockingClient device =
          MqttClient.builder()
              .identifier("device-sensor-1")
              .serverHost(mqtt.getHost())
              .serverPort(mqtt.getPort())
              .useMqttVersion3()
              .buildBlocking();
      device.connect();
      try {
        for (String payload : List.of("{\"temp\":21.5}", "{\"temp\":22.0}", "not json")) {
          device
              .publishWith()
              .topic("devices/acme/sensor-1/reading")
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(payload.getBytes(StandardCharsets.UTF_8))
              .send();
        }
      } finally {
        device.disconnect();
      }

      LocalDate date = day.atZone(ZoneOffset.UTC).toLocalDate();
      assertSeries(stack, "purchase.count", Map.of(date, 3.0), day);
      assertSeries(stack, "purchase.acme.count", Map.of(date, 2.0), day);
      assertSeries(stack, "purchase.amount.sum", Map.of(date, 35.0), day);
      LocalSeries.assertTotal(stack, "reading.count", 2.0, before);
      LocalSeries.assertTotal(stack, "reading.acme.count", 2.0, before);
      LocalSeries.assertTotal(stack, "reading.temp.sum", 43.5, before);
      Await.until(
          "the payload that is no JSON object dead-lettered",
          Duration.ofMinutes(1),
          () -> stack.unacknowledged(LocalMqttBridge.DEAD_LETTER_SUBSCRIPTION) == 1);
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
