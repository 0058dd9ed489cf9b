package io.eventflow.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.StringValue;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Examples of the JSON a producer sends and what {@link EventJson} makes of it. */
class EventJsonTest {
  @Test
  void roundTripsATypicalEvent() throws Exception {
    Event event = SampleEvents.purchase();
    assertThat(EventJson.parse(EventJson.print(event))).isEqualTo(event);
    assertThat(EventJson.parse(EventJson.printBytes(event))).isEqualTo(event);
  }

  @Test
  void anEnrichedEventRoundTripsWithItsEnrichment() throws Exception {
    Event event =
        SampleEvents.purchase().toBuilder()
            .setEnrichment(
                io.eventflow.common.pb.Enrichment.newBuilder()
                    .setStatus("enriched")
                    .setKind("customer")
                    .setKey("acme")
                    .putAttributes("plan", AttributeValues.of("gold")))
            .build();

    String json = EventJson.print(event);

    assertThat(json)
        .isEqualTo(
            com.google.protobuf.util.JsonFormat.printer()
                .omittingInsignificantWhitespace()
                .print(event));
    assertThat(EventJson.parse(json)).isEqualTo(event);
  }

  @Test
  void printsCompactCanonicalJson() {
    assertThat(EventJson.print(SampleEvents.purchase()))
        .isEqualTo(
            "{\"id\":\"0190b3a4-7c1e-7d2a-9f3e-4b5c6d7e8f90\",\"type\":\"purchase\","
                + "\"source\":\"checkout-service\",\"customer\":\"acme\","
                + "\"timestamp\":\"2024-05-31T16:08:37.123Z\",\"attributes\":{"
                + "\"amount\":{\"intValue\":\"4999\"},\"discount\":{\"floatValue\":0.15},"
                + "\"currency\":{\"stringValue\":\"EUR\"},\"first_order\":{\"boolValue\":true},"
                + "\"latency\":{\"durationValue\":\"0.001500s\"}}}");
  }

  @Test
  void acceptsOriginalFieldNamesAndInt64AsNumberOrString() throws Exception {
    Event event =
        EventJson.parse(
            "{\"type\":\"t\",\"attributes\":{\"a\":{\"int_value\":12},\"b\":{\"intValue\":\"-7\"}}}");
    assertThat(event.getAttributesMap())
        .containsEntry("a", AttributeValues.of(12L))
        .containsEntry("b", AttributeValues.of(-7L));
  }

  @Test
  void acceptsTimestampsWithOffsetsAndDurationsWithFractions() throws Exception {
    Event event =
        EventJson.parse(
            "{\"timestamp\":\"2024-03-10T07:30:00.5+05:45\","
                + "\"attributes\":{\"d\":{\"durationValue\":\"1.5s\"}}}");
    assertThat(event.getTimestamp()).isEqualTo(Timestamps.parse("2024-03-10T01:45:00.5Z"));
    assertThat(event.getAttributesOrThrow("d").getDurationValue())
        .isEqualTo(Durations.fromMillis(1500));
  }

  @Test
  void readsTheCustomerAsAPlainString() throws Exception {
    assertThat(EventJson.parse("{\"customer\":\"acme\"}").getCustomer())
        .isEqualTo(StringValue.of("acme"));
    assertThat(EventJson.parse("{\"customer\":\"\"}").hasCustomer()).isTrue();
    assertThat(EventJson.parse("{}").hasCustomer()).isFalse();
  }

  @Test
  void decodesBase64Bytes() throws Exception {
    Event event = EventJson.parse("{\"attributes\":{\"b\":{\"bytesValue\":\"AQID\"}}}");
    assertThat(event.getAttributesOrThrow("b").getBytesValue())
        .isEqualTo(ByteString.copyFrom(new byte[] {1, 2, 3}));
  }

  @Test
  void keepsAnEmptyAttributeValueForTheValidatorToReject() throws Exception {
    Event event = EventJson.parse("{\"attributes\":{\"empty\":{}}}");
    assertThat(event.getAttributesOrThrow("empty")).isEqualTo(AttributeValue.getDefaultInstance());
  }

  @Test
  void rejectsUnknownFieldsNamingThem() {
    assertThatThrownBy(() -> EventJson.parse("{\"tpye\":\"purchase\"}"))
        .isInstanceOf(EventJsonException.class)
        .hasMessageContaining("tpye");
  }

  @Test
  void rejectsUnicodeEscapesWithNonAsciiHexDigitsLikeJsonFormat() throws Exception {
    // U+0141's low byte is 'A': Jackson's char parser alone would read this escape as U+004A.
    String json = "{\"type\":\"x\\u004\u0141\"}";
    assertThatThrownBy(() -> EventJson.parse(json)).isInstanceOf(EventJsonException.class);
    assertThatThrownBy(() -> EventJson.parse(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(EventJsonException.class);
    assertThat(EventJson.parse("{\"type\":\"x\\u004A\"}").getType()).isEqualTo("xJ");
  }

  @Test
  void rejectsTruncatedJson() {
    assertThatThrownBy(() -> EventJson.parse("{\"type\":\"purch"))
        .isInstanceOf(EventJsonException.class)
        .hasMessageStartingWith("not a JSON event");
  }

  @Test
  void rejectsInvalidUtf8InsteadOfReplacingIt() {
    byte[] payload = "{\"type\":\"x\"}".getBytes(StandardCharsets.UTF_8);
    payload[9] = (byte) 0xFF;
    assertThatThrownBy(() -> EventJson.parse(payload))
        .isInstanceOf(EventJsonException.class)
        .hasMessage("payload is not well-formed UTF-8");
  }

  @Test
  void acceptsAGenuineReplacementCharacter() throws Exception {
    byte[] payload = "{\"type\":\"\uFFFD\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(EventJson.parse(payload).getType()).isEqualTo("\uFFFD");
  }

  @Test
  void followsJsonFormatLeniencyThroughTheFallback() throws Exception {
    // JsonFormat reads through lenient Gson: these are accepted there, so they are here.
    assertThat(EventJson.parse("{type: purchase, /* why not */ 'source': 'web'} trailing"))
        .isEqualTo(Event.newBuilder().setType("purchase").setSource("web").build());
    assertThat(
            EventJson.parse("{\"attributes\":{\"n\":{\"intValue\":1e3}}}")
                .getAttributesOrThrow("n"))
        .isEqualTo(AttributeValues.of(1000L));
  }

  @Test
  void escapesLikeGson() {
    Event event = Event.newBuilder().setType("<a href='x'>&=\u2028\u0001\"\\").build();
    assertThat(EventJson.print(event))
        .isEqualTo(
            "{\"type\":\"\\u003ca href\\u003d\\u0027x\\u0027\\u003e\\u0026\\u003d\\u2028\\u0001\\\"\\\\\"}");
  }
}
