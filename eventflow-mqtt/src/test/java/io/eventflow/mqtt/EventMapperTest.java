package io.eventflow.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.StringValue;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.EventJson;
import io.eventflow.common.EventValidator;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EventMapperTest {
  private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
  private final EventMapper mapper =
      new EventMapper(
          List.of(
              TopicTemplate.parse("devices/{customer}/{source}/{type}"),
              TopicTemplate.parse("sites/{site}/{_}/{type}"),
              TopicTemplate.parse("eventflow/events")),
          new EventValidator(ValidationLimits.DEFAULTS, Clock.fixed(NOW, ZoneOffset.UTC)),
          "mqtt");

  private Mapped map(String topic, String payload) {
    return mapper.map(DeviceMessage.of(topic, payload.getBytes(StandardCharsets.UTF_8), NOW));
  }

  private static Event event(Mapped mapped) {
    assertThat(mapped).isInstanceOf(Mapped.ToEvents.class);
    return ((Mapped.ToEvents) mapped).event();
  }

  private static InvalidMessage deadLetter(Mapped mapped) {
    assertThat(mapped).isInstanceOf(Mapped.ToDeadLetters.class);
    return ((Mapped.ToDeadLetters) mapped).deadLetter();
  }

  @Test
  void rawJsonObjectBecomesAttributesWithFieldsFromTheTopic() {
    Event event =
        event(
            map(
                "devices/acme/sensor-1/reading",
                "{\"temp\":21.5,\"count\":3,\"ok\":true,\"unit\":\"C\",\"gps\":{\"lat\":1.5,\"fix\":{\"sats\":7}},\"gone\":null}"));
    assertThat(event.getType()).isEqualTo("reading");
    assertThat(event.getSource()).isEqualTo("sensor-1");
    assertThat(event.getCustomer()).isEqualTo(StringValue.of("acme"));
    assertThat(event.getTimestamp()).isEqualTo(Timestamps.fromMillis(NOW.toEpochMilli()));
    assertThat(event.getAttributesMap())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "temp", AttributeValues.of(21.5),
                "count", AttributeValues.of(3L),
                "ok", AttributeValues.of(true),
                "unit", AttributeValues.of("C"),
                "gps.lat", AttributeValues.of(1.5),
                "gps.fix.sats", AttributeValues.of(7L)));
    assertThat(event.getId())
        .isEqualTo(
            DeterministicIds.idOf(
                "devices/acme/sensor-1/reading",
                "{\"temp\":21.5,\"count\":3,\"ok\":true,\"unit\":\"C\",\"gps\":{\"lat\":1.5,\"fix\":{\"sats\":7}},\"gone\":null}"
                    .getBytes(StandardCharsets.UTF_8),
                Optional.empty()));
  }

  @Test
  void rawJsonKeepsItsOwnIdAndTimestamp() {
    Event event =
        event(
            map(
                "devices/acme/sensor-1/reading",
                "{\"id\":\"dev-42\",\"timestamp\":\"2026-12-01T08:00:00Z\",\"temp\":1}"));
    assertThat(event.getId()).isEqualTo("dev-42");
    assertThat(event.getTimestamp())
        .isEqualTo(Timestamps.fromSeconds(Instant.parse("2026-12-01T08:00:00Z").getEpochSecond()));
    assertThat(event.getAttributesMap()).containsOnlyKeys("temp");

    Event millis = event(map("devices/acme/s/reading", "{\"timestamp\":1764576000000,\"v\":1}"));
    assertThat(millis.getTimestamp()).isEqualTo(Timestamps.fromMillis(1764576000000L));
  }

  @Test
  void extraPlaceholdersBecomeAttributesAndIgnoredLevelsAreDropped() {
    Event event = event(map("sites/berlin/rack-7/reading", "{\"v\":1}"));
    assertThat(event.getType()).isEqualTo("reading");
    assertThat(event.getSource()).isEqualTo("mqtt");
    assertThat(event.hasCustomer()).isFalse();
    assertThat(event.getAttributesMap()).containsOnlyKeys("v", "site");
    assertThat(event.getAttributesOrThrow("site")).isEqualTo(AttributeValues.of("berlin"));
  }

  @Test
  void hugeIntegersBecomeDoubles() {
    Event event = event(map("devices/a/b/c", "{\"big\":123456789012345678901234567890}"));
    assertThat(event.getAttributesOrThrow("big").getFloatValue()).isEqualTo(1.2345678901234568e29);
  }

  @Test
  void proto3JsonEventIsTakenAsItIsAndFilledFromTheTopic() {
    Event sent =
        Event.newBuilder()
            .setId("0190a1b2-0000-7000-8000-000000000001")
            .setType("purchase")
            .setTimestamp(Timestamps.fromSeconds(NOW.getEpochSecond() - 60))
            .putAttributes("amount_cents", AttributeValues.of(1999L))
            .build();
    Event event = event(map("devices/acme/shop/ignored", EventJson.print(sent)));
    assertThat(event)
        .isEqualTo(sent.toBuilder().setSource("shop").setCustomer(StringValue.of("acme")).build());

    Event ready =
        event(map("eventflow/events", EventJson.print(sent.toBuilder().setSource("pos"))));
    assertThat(ready).isEqualTo(sent.toBuilder().setSource("pos").build());
  }

  /**
   * A JSON object with a name that is no field of Event is read as the device's own at once; one
   * with Event's names only is still offered to the proto3 JSON reading first, as before.
   */
  @Test
  void onlyObjectsWithEventNamesAreTriedAsProto3JsonEvents() {
    Event own = event(map("devices/acme/s/reading", "{\"id\":\"r-1\",\"temp\":21.5}"));
    assertThat(own.getId()).isEqualTo("r-1");
    assertThat(own.getAttributesMap()).containsOnlyKeys("temp");

    Event asEvent =
        event(
            map(
                "devices/acme/s/reading",
                "{\"id\":\"e-1\",\"attributes\":{\"n\":{\"intValue\":\"2\"}}}"));
    assertThat(asEvent.getId()).isEqualTo("e-1");
    assertThat(asEvent.getAttributesMap()).containsOnlyKeys("n");

    // Event's names, but no proto3 JSON Event: the device's object after all.
    Event notAnEvent = event(map("devices/acme/s/reading", "{\"attributes\":{\"n\":1}}"));
    assertThat(notAnEvent.getAttributesOrThrow("attributes.n").getIntValue()).isEqualTo(1L);
    assertThat(deadLetter(map("devices/acme/s/reading", "{\"temp\":[1]}")).getMessage())
        .contains("\"temp\" is an array");
  }

  @Test
  void binaryEventIsTakenAsItIs() {
    Event sent =
        Event.newBuilder()
            .setId("id-1")
            .setType("purchase")
            .setSource("pos")
            .setTimestamp(Timestamps.fromSeconds(NOW.getEpochSecond()))
            .putAttributes("n", AttributeValues.of(1L))
            .build();
    Event event = event(mapper.map(DeviceMessage.of("eventflow/events", sent.toByteArray(), NOW)));
    assertThat(event).isEqualTo(sent);
  }

  @Test
  void userPropertiesBecomeAttributesButThePayloadWins() {
    Mapped mapped =
        mapper.map(
            new DeviceMessage(
                "devices/acme/s/reading",
                "{\"temp\":2}".getBytes(StandardCharsets.UTF_8),
                List.of(Map.entry("firmware", "1.2"), Map.entry("temp", "ignored")),
                Optional.empty(),
                NOW));
    Event event = event(mapped);
    assertThat(event.getAttributesOrThrow("firmware")).isEqualTo(AttributeValues.of("1.2"));
    assertThat(event.getAttributesOrThrow("temp")).isEqualTo(AttributeValues.of(2L));
  }

  @Test
  void correlationDataTellsIdenticalPayloadsApart() {
    byte[] payload = "{\"tick\":1}".getBytes(StandardCharsets.UTF_8);
    String plain = event(mapper.map(DeviceMessage.of("devices/a/b/c", payload, NOW))).getId();
    String again =
        event(mapper.map(DeviceMessage.of("devices/a/b/c", payload, NOW.plusSeconds(5)))).getId();
    String correlated =
        event(
                mapper.map(
                    new DeviceMessage(
                        "devices/a/b/c", payload, List.of(), Optional.of(new byte[] {1}), NOW)))
            .getId();
    String otherTopic = event(mapper.map(DeviceMessage.of("devices/a/b/d", payload, NOW))).getId();
    assertThat(again).as("a redelivery, received later, keeps its id").isEqualTo(plain);
    assertThat(correlated).isNotEqualTo(plain);
    assertThat(otherTopic).isNotEqualTo(plain);
    assertThat(java.util.UUID.fromString(plain).version()).isEqualTo(8);
  }

  @Test
  void badPayloadsAreDeadLetteredWithTheirReasonAndOriginalBytes() {
    assertThat(deadLetter(map("devices/a/b/c", "hello")).getReason())
        .isEqualTo(InvalidReason.MALFORMED_JSON);
    assertThat(deadLetter(map("devices/a/b/c", "[1,2]")).getMessage())
        .contains("not a JSON object");
    assertThat(deadLetter(map("devices/a/b/c", "{\"a\":[1]}")).getMessage())
        .contains("\"a\" is an array");
    assertThat(deadLetter(map("devices/a/b/c", "{\"a\":1,\"a\":2}")).getReason())
        .isEqualTo(InvalidReason.MALFORMED_JSON);
    assertThat(deadLetter(map("devices/a/b/c", "{\"a\":1} trailing")).getReason())
        .isEqualTo(InvalidReason.MALFORMED_JSON);
    assertThat(deadLetter(map("devices/a/b/c", "{\"a\":")).getReason())
        .isEqualTo(InvalidReason.MALFORMED_JSON);
    assertThat(deadLetter(map("devices/a/b/c", "")).getMessage()).isEqualTo("payload is empty");
    assertThat(deadLetter(map("devices/a/b/c", "{}")).getReason())
        .isEqualTo(InvalidReason.NO_ATTRIBUTES);
    assertThat(
            deadLetter(map("devices/a/b/c", "{\"timestamp\":\"yesterday\",\"v\":1}")).getReason())
        .isEqualTo(InvalidReason.INVALID_TIMESTAMP);
    assertThat(
            deadLetter(map("devices/a/b/c", "{\"timestamp\":\"1990-01-01T00:00:00Z\",\"v\":1}"))
                .getReason())
        .isEqualTo(InvalidReason.TIMESTAMP_TOO_EARLY);
    assertThat(deadLetter(map("other/topic", "{\"v\":1}")).getReason())
        .isEqualTo(InvalidReason.MISSING_TYPE);
    assertThat(deadLetter(map("eventflow/events", "{\"temp\":1}")).getMessage())
        .contains("not an eventflow Event");

    byte[] binary = {(byte) 0xFF, 0x00, 0x13, 0x37};
    InvalidMessage garbage = deadLetter(mapper.map(DeviceMessage.of("devices/a/b/c", binary, NOW)));
    assertThat(garbage.getReason()).isEqualTo(InvalidReason.MALFORMED_PROTOBUF);
    assertThat(garbage.getPayload().toByteArray()).isEqualTo(binary);
    assertThat(garbage.getAttributesMap()).containsEntry("mqtt.topic", "devices/a/b/c");
    assertThat(garbage.getReceivedAt()).isEqualTo(Timestamps.fromMillis(NOW.toEpochMilli()));

    byte[] large = new byte[ValidationLimits.DEFAULTS.maxPayloadBytes() + 1];
    assertThat(deadLetter(mapper.map(DeviceMessage.of("devices/a/b/c", large, NOW))).getReason())
        .isEqualTo(InvalidReason.PAYLOAD_TOO_LARGE);
  }

  @Test
  void anEventBreakingIngestRulesKeepsTheDecodedEventInItsDeadLetter() {
    InvalidMessage letter = deadLetter(map("devices/a/b/c", "{\"\":1}"));
    assertThat(letter.getReason()).isEqualTo(InvalidReason.BLANK_ATTRIBUTE_KEY);
    assertThat(letter.hasEvent()).isTrue();
    assertThat(letter.getEvent().getType()).isEqualTo("c");
  }

  @Test
  void templatesRejectWhatTheyCannotMean() {
    assertThatThrownBy(() -> TopicTemplate.parse("devices/+/{type}"))
        .hasMessageContaining("wildcards");
    assertThatThrownBy(() -> TopicTemplate.parse("a/x{type}")).hasMessageContaining("exactly one");
    assertThatThrownBy(() -> TopicTemplate.parse("a/{type}/{type}")).hasMessageContaining("twice");
    assertThatThrownBy(() -> TopicTemplate.parse("$SYS/{type}")).hasMessageContaining("$");
    assertThat(TopicTemplate.parse("devices/{customer}/{source}/{type}").filter())
        .isEqualTo("devices/+/+/+");
    assertThat(TopicTemplate.parse("devices/{customer}/{source}/{type}").match("devices/a/b"))
        .isEmpty();
  }
}
