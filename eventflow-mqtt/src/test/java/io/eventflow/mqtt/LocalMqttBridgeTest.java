package io.eventflow.mqtt;

import static io.eventflow.mqtt.PubSubFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack's MQTT wiring, as {@code eventflow local} starts it: what {@code mosquitto_pub -h
 * localhost -t devices/acme/sensor-1/reading -m '{"temp":21.5}'} sends becomes a {@code reading}
 * event of customer {@code acme} on the events topic, which the stack's jobs count as {@code
 * reading.count}, {@code reading.acme.count} and, with {@code --rollups reading:sum:temp}, sum as
 * {@code reading.temp.sum}. (The jobs' side is the local stack's own end-to-end test; this test
 * stops at the events topic, so it runs in seconds instead of starting a Flink cluster.)
 */
class LocalMqttBridgeTest {
  @TempDir Path dir;

  @Test
  void mosquittoPubOfAReadingBecomesAnEventForTheStack() throws Exception {
    try (PubSubFixture pubsub = PubSubFixture.start(dir);
        LocalMqttBridge local =
            LocalMqttBridge.start(
                "127.0.0.1",
                0,
                dir.resolve("mqtt"),
                BridgeConfig.DEFAULT_TEMPLATES,
                pubsub.hostAndPort(),
                PubSubFixture.PROJECT,
                PubSubFixture.EVENTS);
        Device device = Device.connect(local.port(), 3)) {
      assertThat(local.bridge().isReady()).isTrue();
      device.publish("devices/acme/sensor-1/reading", "{\"temp\":21.5}");
      await("the event arrived", () -> !pubsub.events.isEmpty());
      Event event = Event.parseFrom(pubsub.events.get(0).getData());
      assertThat(event.getType()).isEqualTo("reading");
      assertThat(event.getSource()).isEqualTo("sensor-1");
      assertThat(event.getCustomer().getValue()).isEqualTo("acme");
      assertThat(event.getAttributesOrThrow("temp")).isEqualTo(AttributeValues.of(21.5));
      assertThat(pubsub.deadLetters).isEmpty();
    }
  }
}
