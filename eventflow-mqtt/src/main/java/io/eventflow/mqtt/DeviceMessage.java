package io.eventflow.mqtt;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One MQTT message as the bridge maps it, independent of the MQTT client and protocol version.
 *
 * @param topic the topic it was published to
 * @param payload the payload, exactly as received
 * @param userProperties MQTT 5 user properties in the order received (empty for MQTT 3.1.1)
 * @param correlationData MQTT 5 correlation data, when the device set it
 * @param receivedAt when the bridge received it (its clock): the timestamp of an event without one
 */
public record DeviceMessage(
    String topic,
    byte[] payload,
    List<Map.Entry<String, String>> userProperties,
    Optional<byte[]> correlationData,
    Instant receivedAt) {

  /** Checks that no component is null. */
  public DeviceMessage {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(payload, "payload");
    userProperties = List.copyOf(userProperties);
    Objects.requireNonNull(correlationData, "correlationData");
    Objects.requireNonNull(receivedAt, "receivedAt");
  }

  /** Returns an MQTT 3.1.1 message: no user properties, no correlation data. */
  public static DeviceMessage of(String topic, byte[] payload, Instant receivedAt) {
    return new DeviceMessage(topic, payload, List.of(), Optional.empty(), receivedAt);
  }
}
