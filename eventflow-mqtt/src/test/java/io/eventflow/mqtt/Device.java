package io.eventflow.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

/**
 * A device publishing QoS 1 messages and waiting for each PUBACK, through the HiveMQ client's
 * blocking API: what {@code mosquitto_pub -q 1} does.
 */
final class Device implements AutoCloseable {
  private final Mqtt5BlockingClient v5;
  private final Mqtt3BlockingClient v3;

  private Device(Mqtt5BlockingClient v5, Mqtt3BlockingClient v3) {
    this.v5 = v5;
    this.v3 = v3;
  }

  /** Connects a device speaking MQTT {@code version} (3 or 5) to the broker on {@code port}. */
  static Device connect(int port, int version) {
    var builder =
        MqttClient.builder()
            .identifier("device-" + UUID.randomUUID())
            .serverHost("127.0.0.1")
            .serverPort(port);
    if (version == 5) {
      Mqtt5BlockingClient client = builder.useMqttVersion5().buildBlocking();
      client.connect();
      return new Device(client, null);
    }
    Mqtt3BlockingClient client = builder.useMqttVersion3().buildBlocking();
    client.connect();
    return new Device(null, client);
  }

  /** Publishes a text payload at QoS 1 and waits for the broker's PUBACK. */
  void publish(String topic, String payload) {
    publish(topic, payload.getBytes(StandardCharsets.UTF_8));
  }

  /** Publishes a payload at QoS 1 and waits for the broker's PUBACK. */
  void publish(String topic, byte[] payload) {
    if (v5 != null) {
      v5.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
    } else {
      v3.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
    }
  }

  /** Publishes an MQTT 5 message with user properties and correlation data (null for none). */
  void publish5(String topic, String payload, Map<String, String> properties, byte[] correlation) {
    Mqtt5PublishBuilder.Complete message =
        com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish.builder()
            .topic(topic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(payload.getBytes(StandardCharsets.UTF_8));
    if (correlation != null) {
      message = message.correlationData(correlation);
    }
    var props = com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties.builder();
    for (Map.Entry<String, String> property : properties.entrySet()) {
      props = props.add(property.getKey(), property.getValue());
    }
    v5.publish(message.userProperties(props.build()).build());
  }

  @Override
  public void close() {
    if (v5 != null) {
      v5.disconnect();
    } else {
      v3.disconnect();
    }
  }
}
