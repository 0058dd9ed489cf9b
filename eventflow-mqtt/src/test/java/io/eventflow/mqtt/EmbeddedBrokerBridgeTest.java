package io.eventflow.mqtt;

import static io.eventflow.mqtt.PubSubFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.EventJson;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge against the embedded broker (HiveMQ CE) in this process over MQTT 5, and
 * eventflow-broker as Pub/Sub.
 */
class EmbeddedBrokerBridgeTest {
  @TempDir Path dir;
  private PubSubFixture pubsub;
  private EmbeddedMqttBroker mqtt;

  @BeforeEach
  void start() throws Exception {
    pubsub = PubSubFixture.start(dir.resolve("pubsub"));
    mqtt = EmbeddedMqttBroker.start("127.0.0.1", 0);
  }

  @AfterEach
  void stop() throws Exception {
    mqtt.close();
    pubsub.close();
  }

  private static PubsubMessage byType(PubSubFixture pubsub, String type) {
    return pubsub.events.stream()
        .filter(m -> m.getAttributesOrThrow("event.type").equals(type))
        .findFirst()
        .orElseThrow();
  }

  private static Event event(PubsubMessage message) throws Exception {
    return Event.parseFrom(message.getData());
  }

  /**
   * A device publishes a raw reading, a ready-made JSON event and garbage: the first two arrive on
   * the events topic, the garbage on the dead-letter topic with its reason and original bytes, and
   * every message is acknowledged.
   */
  @Test
  void bridgesEventsAndDeadLettersThenAcknowledgesThem() throws Exception {
    try (MqttBridge bridge =
            MqttBridge.start(
                pubsub.bridgeTo(mqtt.uri()).mqttVersion(5).build(), Clock.systemUTC());
        Device device = Device.connect(mqtt.port(), 5)) {
      await("the bridge is ready", bridge::isReady);
      device.publish("devices/acme/sensor-1/reading", "{\"temp\":21.5}");
      Event ready =
          Event.newBuilder()
              .setType("purchase")
              .setSource("pos")
              .setId("ready-1")
              .putAttributes("n", AttributeValues.of(1L))
              .build();
      device.publish("eventflow/events", EventJson.print(ready));
      device.publish("devices/acme/sensor-1/reading", "not json");

      await("two events arrived", () -> pubsub.events.size() >= 2);
      await("one dead letter arrived", () -> pubsub.deadLetters.size() >= 1);
      await("all three are acknowledged", () -> bridge.inFlight() == 0);

      // Pub/Sub does not promise order across publish batches: find each event by its type.
      PubsubMessage readingMessage = byType(pubsub, "reading");
      Event reading = event(readingMessage);
      assertThat(reading.getCustomer().getValue()).isEqualTo("acme");
      assertThat(reading.getAttributesOrThrow("temp")).isEqualTo(AttributeValues.of(21.5));
      assertThat(readingMessage.getAttributesOrThrow("event.id")).isEqualTo(reading.getId());
      assertThat(event(byType(pubsub, "purchase")).getId()).isEqualTo("ready-1");

      InvalidMessage letter = InvalidMessage.parseFrom(pubsub.deadLetters.get(0).getData());
      assertThat(letter.getReason()).isEqualTo(InvalidReason.MALFORMED_JSON);
      assertThat(letter.getPayload().toStringUtf8()).isEqualTo("not json");
      assertThat(letter.getAttributesMap())
          .containsEntry("mqtt.topic", "devices/acme/sensor-1/reading");
      assertThat(pubsub.deadLetters.get(0).getAttributesMap())
          .containsEntry("invalid.reason", "MALFORMED_JSON");
      assertThat(bridge.registry().scrape())
          .contains("eventflow_mqtt_received_total 3.0")
          .contains("eventflow_mqtt_published_total 2.0")
          .contains("eventflow_mqtt_acked_total 3.0")
          .contains("eventflow_mqtt_dead_lettered_total{reason=\"MALFORMED_JSON\"} 1.0");
    }
  }

  /**
   * While Pub/Sub is down the bridge acknowledges nothing and holds at most its receive maximum (10
   * here) while the broker keeps the rest; once Pub/Sub is back every message arrives and is
   * acknowledged. (HiveMQ sends a session's next messages once the ones in flight are acknowledged,
   * so how many of the 10 it fills depends on how many were queued when it last polled.)
   */
  @Test
  void pubSubOutageHoldsAtMostTheReceiveMaximumUntilItIsBack() throws Exception {
    try (MqttBridge bridge =
            MqttBridge.start(
                pubsub.bridgeTo(mqtt.uri()).mqttVersion(5).receiveMaximum(10).build(),
                Clock.systemUTC());
        Device device = Device.connect(mqtt.port(), 5)) {
      await("the bridge is ready", bridge::isReady);
      pubsub.stop();
      for (int i = 0; i < 40; i++) {
        device.publish("devices/acme/s1/reading", "{\"seq\":" + i + "}");
      }
      await("a message is in flight", () -> bridge.inFlight() > 0);
      assertThat(bridge.inFlight()).isBetween(1, 10);
      assertThat(bridge.registry().get("eventflow.mqtt.acked").counter().count()).isZero();

      pubsub.restart();
      await(
          "all 40 events arrived",
          () ->
              pubsub.events.stream().map(m -> m.getAttributesOrThrow("event.id")).distinct().count()
                  == 40);
      await("all are acknowledged", () -> bridge.inFlight() == 0);
    }
  }

  /**
   * Once the bridge has taken every message that arrived it sends its Pub/Sub batch at once rather
   * than after the batch delay: with a delay of an hour, readings still arrive and are
   * acknowledged.
   */
  @Test
  void sendsTheBatchOnceNothingMoreHasArrived() throws Exception {
    try (MqttBridge bridge =
            MqttBridge.start(
                pubsub
                    .bridgeTo(mqtt.uri())
                    .mqttVersion(5)
                    .publishBatchDelay(Duration.ofHours(1))
                    .build(),
                Clock.systemUTC());
        Device device = Device.connect(mqtt.port(), 5)) {
      await("the bridge is ready", bridge::isReady);
      for (int i = 0; i < 25; i++) {
        device.publish("devices/acme/s1/reading", "{\"seq\":" + i + "}");
      }
      await("all 25 events arrived", () -> pubsub.events.size() >= 25);
      await("all are acknowledged", () -> bridge.inFlight() == 0);
      assertThat(bridge.registry().get("eventflow.mqtt.acked").counter().count()).isEqualTo(25);
    }
  }

  /**
   * Readiness follows the MQTT connection: 503 before the broker is reachable and after it went
   * away, 200 while connected and subscribed; {@code /healthz} stays 200 throughout.
   */
  @Test
  void readinessFollowsTheConnection() throws Exception {
    int port = mqtt.port();
    mqtt.close();
    HttpClient http = HttpClient.newHttpClient();
    try (MqttBridge bridge =
            MqttBridge.start(
                pubsub.bridgeTo(mqtt.uri()).mqttVersion(5).build(), Clock.systemUTC());
        BridgeHttpServer server = BridgeHttpServer.start(bridge, "127.0.0.1", 0)) {
      URI readyz = URI.create("http://127.0.0.1:" + server.port() + "/readyz");
      URI healthz = URI.create("http://127.0.0.1:" + server.port() + "/healthz");
      URI metrics = URI.create("http://127.0.0.1:" + server.port() + "/metrics");
      assertThat(status(http, readyz)).isEqualTo(503);
      assertThat(status(http, healthz)).isEqualTo(200);

      mqtt = EmbeddedMqttBroker.start("127.0.0.1", port);
      await("ready once the broker is up", () -> status(http, readyz) == 200);

      mqtt.close();
      await("unready once the broker is gone", () -> status(http, readyz) == 503);
      assertThat(status(http, healthz)).isEqualTo(200);

      mqtt = EmbeddedMqttBroker.start("127.0.0.1", port);
      await("ready again after the reconnect", () -> status(http, readyz) == 200);
      String scrape =
          http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(scrape).contains("eventflow_mqtt_reconnects_total 1.0");
      assertThat(scrape).contains("eventflow_mqtt_ready 1.0");
    }
  }

  private static int status(HttpClient http, URI uri) {
    try {
      return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
