package io.eventflow.mqtt;

import static io.eventflow.mqtt.PubSubFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import io.eventflow.testing.MosquittoProcess;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bridge against Eclipse Mosquitto as a process (MQTT 5) and eventflow-broker as Pub/Sub. */
class MosquittoBridgeTest {
  @TempDir Path dir;
  private PubSubFixture pubsub;
  private MosquittoProcess mosquitto;

  @BeforeEach
  void start() throws Exception {
    mosquitto = MosquittoProcess.start();
    pubsub = PubSubFixture.start(dir.resolve("pubsub"));
  }

  @AfterEach
  void stop() throws Exception {
    if (pubsub != null) {
      pubsub.close();
    }
    if (mosquitto != null) {
      mosquitto.close();
    }
  }

  private static Set<String> ids(Iterable<PubsubMessage> messages) {
    Set<String> ids = new HashSet<>();
    messages.forEach(m -> ids.add(m.getAttributesOrThrow("event.id")));
    return ids;
  }

  /** MQTT 5 user properties become attributes; correlation data keeps equal payloads apart. */
  @Test
  void mqtt5UserPropertiesAndCorrelationData() throws Exception {
    try (MqttBridge bridge =
            MqttBridge.start(pubsub.bridgeTo(mosquitto.uri()).build(), Clock.systemUTC());
        Device device = Device.connect(mosquitto.port(), 5)) {
      await("the bridge is ready", bridge::isReady);
      device.publish5(
          "devices/acme/s1/tick", "{\"n\":1}", Map.of("firmware", "2.1"), new byte[] {1});
      device.publish5(
          "devices/acme/s1/tick", "{\"n\":1}", Map.of("firmware", "2.1"), new byte[] {2});
      await("both ticks arrived", () -> pubsub.events.size() >= 2);
      Event first = Event.parseFrom(pubsub.events.get(0).getData());
      assertThat(first.getAttributesOrThrow("firmware")).isEqualTo(AttributeValues.of("2.1"));
      assertThat(ids(pubsub.events)).hasSize(2);
    }
  }

  /**
   * Two bridges in one shared subscription split the devices' messages: every message arrives once,
   * through one bridge or the other.
   */
  @Test
  void sharedSubscriptionSpreadsMessagesOverBridges() throws Exception {
    BridgeConfig.Builder shared =
        pubsub.bridgeTo(mosquitto.uri()).filter("$share/bridges/devices/+/+/+");
    try (MqttBridge a = MqttBridge.start(shared.clientId("bridge-a").build(), Clock.systemUTC());
        MqttBridge b = MqttBridge.start(shared.clientId("bridge-b").build(), Clock.systemUTC());
        Device device = Device.connect(mosquitto.port(), 5)) {
      await("both bridges are ready", () -> a.isReady() && b.isReady());
      for (int i = 0; i < 200; i++) {
        device.publish("devices/acme/s" + (i % 7) + "/reading", "{\"seq\":" + i + "}");
      }
      await("200 distinct events arrived", () -> ids(pubsub.events).size() == 200);
      // A subscriber can see an event before the publish callback has acknowledged its message.
      await("all are acknowledged", () -> a.inFlight() == 0 && b.inFlight() == 0);
      double viaA = a.registry().get("eventflow.mqtt.acked").counter().count();
      double viaB = b.registry().get("eventflow.mqtt.acked").counter().count();
      assertThat(viaA + viaB).isEqualTo(200);
      assertThat(viaA).isPositive();
      assertThat(viaB).isPositive();
    }
  }

  /**
   * One bridge holding three sessions of a shared subscription bridges every message once, and the
   * broker keeps a persistent session under each derived client id, so a restart resumes all three.
   */
  @Test
  void threeSessionsInOneBridgeBridgeEveryMessageOnce() throws Exception {
    BridgeConfig config =
        pubsub
            .bridgeTo(mosquitto.uri())
            .clientId("bridge")
            .sessions(3)
            .filter("$share/bridges/devices/+/+/+")
            .build();
    try (MqttBridge bridge = MqttBridge.start(config, Clock.systemUTC());
        Device device = Device.connect(mosquitto.port(), 5)) {
      await("all three sessions are subscribed", bridge::isReady);
      for (int i = 0; i < 300; i++) {
        device.publish("devices/acme/s" + (i % 7) + "/reading", "{\"seq\":" + i + "}");
      }
      await("300 distinct events arrived", () -> ids(pubsub.events).size() == 300);
      await("all are acknowledged", () -> bridge.inFlight() == 0);
      assertThat(bridge.registry().get("eventflow.mqtt.acked").counter().count()).isEqualTo(300);
    }
    for (String clientId : List.of("bridge", "bridge-2", "bridge-3")) {
      assertThat(sessionPresent(clientId)).as("the broker kept %s's session", clientId).isTrue();
    }
  }

  /** Whether the broker holds a session for {@code clientId} (it says so in the CONNACK). */
  private boolean sessionPresent(String clientId) {
    Mqtt5BlockingClient client =
        MqttClient.builder()
            .identifier(clientId)
            .serverHost("127.0.0.1")
            .serverPort(mosquitto.port())
            .useMqttVersion5()
            .buildBlocking();
    try {
      return client.connectWith().cleanStart(false).send().isSessionPresent();
    } finally {
      client.disconnect();
    }
  }

  /**
   * While Pub/Sub is down the bridge acknowledges nothing, whatever the devices send; once Pub/Sub
   * is back every message arrives and is acknowledged. (The default receive maximum of 1,000, so
   * that mosquitto queues nothing: with 20, Debian's mosquitto 2.0.11 moved a whole window of
   * queued messages into flight on each PUBACK once the acknowledgements resumed, a bug 2.0.13
   * fixed, see the README, which the client answers by disconnecting.)
   */
  @Test
  void pubSubOutageStopsAcknowledgementsUntilItIsBack() throws Exception {
    try (MqttBridge bridge =
            MqttBridge.start(pubsub.bridgeTo(mosquitto.uri()).build(), Clock.systemUTC());
        Device device = Device.connect(mosquitto.port(), 5)) {
      await("the bridge is ready", bridge::isReady);
      device.publish("devices/acme/s1/reading", "{\"seq\":-1}");
      await("the first event arrived", () -> pubsub.events.size() == 1);

      pubsub.stop();
      for (int i = 0; i < 50; i++) {
        device.publish("devices/acme/s1/reading", "{\"seq\":" + i + "}");
      }
      await("50 messages are in flight", () -> bridge.inFlight() == 50);
      assertThat(bridge.registry().get("eventflow.mqtt.acked").counter().count()).isEqualTo(1);

      pubsub.restart();
      await("all 51 events arrived", () -> ids(pubsub.events).size() == 51);
      await("all are acknowledged", () -> bridge.inFlight() == 0);
      assertThat(bridge.registry().get("eventflow.mqtt.acked").counter().count())
          .isGreaterThanOrEqualTo(51);
    }
  }
}
