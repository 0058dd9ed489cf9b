package io.eventflow.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker with a data directory, as the local stack runs it: QoS 1 messages queued for
 * a persistent session that is offline (the bridge, while the stack stops) are still there after
 * the broker stops and starts again on the same directory.
 */
class EmbeddedMqttBrokerTest {
  @TempDir Path dir;

  private static Mqtt3BlockingClient client(String id, int port) {
    return MqttClient.builder()
        .identifier(id)
        .serverHost("127.0.0.1")
        .serverPort(port)
        .useMqttVersion3()
        .buildBlocking();
  }

  @Test
  void queuedMessagesOfAPersistentSessionSurviveAStopAndStart() throws Exception {
    int port;
    EmbeddedMqttBroker broker = EmbeddedMqttBroker.start("127.0.0.1", 0, dir);
    try {
      port = broker.port();
      Mqtt3BlockingClient bridge = client("bridge", port);
      bridge.connectWith().cleanSession(false).send();
      bridge.subscribeWith().topicFilter("devices/#").qos(MqttQos.AT_LEAST_ONCE).send();
      bridge.disconnect();
      try (Device device = Device.connect(port, 3)) {
        for (int i = 0; i < 50; i++) {
          device.publish("devices/acme/sensor-1/reading", "{\"n\":" + i + "}");
        }
      }
    } finally {
      broker.close();
    }

    broker = EmbeddedMqttBroker.start("127.0.0.1", port, dir);
    try {
      Mqtt3BlockingClient bridge = client("bridge", port);
      Set<String> received = new HashSet<>();
      try (Mqtt3BlockingClient.Mqtt3Publishes publishes =
          bridge.publishes(MqttGlobalPublishFilter.ALL)) {
        bridge.connectWith().cleanSession(false).send();
        while (received.size() < 50) {
          Optional<Mqtt3Publish> message = publishes.receive(10, TimeUnit.SECONDS);
          if (message.isEmpty()) {
            break;
          }
          received.add(new String(message.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
        }
      }
      bridge.disconnect();
      assertThat(received).hasSize(50).contains("{\"n\":0}", "{\"n\":49}");
    } finally {
      broker.close();
    }
  }
}
