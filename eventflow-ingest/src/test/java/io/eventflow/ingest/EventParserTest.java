package io.eventflow.ingest;

import static io.eventflow.ingest.TestEvents.CLOCK;
import static io.eventflow.ingest.TestEvents.NOW;
import static io.eventflow.ingest.TestEvents.attributes;
import static io.eventflow.ingest.TestEvents.event;
import static io.eventflow.ingest.TestEvents.payload;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.ContentType;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EventParserTest {
  private final EventParser parser = new EventParser(ValidationLimits.DEFAULTS, CLOCK);

  private ParseOutcome parse(Event event, ContentType contentType) {
    return parser.parse("m-1", attributes(event, contentType), payload(event, contentType));
  }

  private static Event valid(ParseOutcome outcome) {
    assertThat(outcome).isInstanceOf(ParseOutcome.Valid.class);
    return ((ParseOutcome.Valid) outcome).event();
  }

  private static InvalidMessage invalid(ParseOutcome outcome, InvalidReason reason) {
    assertThat(outcome).isInstanceOf(ParseOutcome.Invalid.class);
    InvalidMessage record = ((ParseOutcome.Invalid) outcome).record();
    assertThat(record.getReason()).isEqualTo(reason);
    assertThat(record.getMessage()).isNotBlank();
    return record;
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void wellFormedEventIsValidInEitherFormat(ContentType contentType) {
    Event event = event("e-1").build();
    assertThat(valid(parse(event, contentType))).isEqualTo(event);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void invalidRecordKeepsTheOriginalMessageAndTheParsedEvent(ContentType contentType) {
    Event event = event("e-1").clearAttributes().build();
    Map<String, String> attributes = attributes(event, contentType);
    byte[] payload = payload(event, contentType);

    InvalidMessage record =
        invalid(parser.parse("m-42", attributes, payload), InvalidReason.NO_ATTRIBUTES);

    assertThat(record.getMessageId()).isEqualTo("m-42");
    assertThat(record.getAttributesMap()).isEqualTo(attributes);
    assertThat(record.getPayload()).isEqualTo(ByteString.copyFrom(payload));
    assertThat(record.getReceivedAt())
        .isEqualTo(Timestamp.newBuilder().setSeconds(NOW.getEpochSecond()).build());
    assertThat(record.getEvent()).isEqualTo(event);
  }

  @Test
  void jsonWithoutContentTypeIsSniffedAsJson() {
    Event event = event("e-1").build();
    Map<String, String> attributes = attributes(event, ContentType.JSON);
    attributes.remove(MessageAttributes.CONTENT_TYPE);
    byte[] json =
        ("  \r\n\t" + new String(payload(event, ContentType.JSON), StandardCharsets.UTF_8))
            .getBytes(StandardCharsets.UTF_8);

    assertThat(valid(parser.parse("m", attributes, json))).isEqualTo(event);
  }

  @Test
  void binaryWithoutContentTypeIsSniffedAsProtobuf() {
    Event event = event("e-1").build();
    Map<String, String> attributes = attributes(event, ContentType.PROTOBUF);
    attributes.remove(MessageAttributes.CONTENT_TYPE);

    assertThat(valid(parser.parse("m", attributes, event.toByteArray()))).isEqualTo(event);
  }

  @Test
  void malformedJsonWithoutContentTypeIsReportedAsJsonNotProtobuf() {
    Map<String, String> attributes = Map.of(MessageAttributes.ID, "e-1");
    byte[] broken = "{\"id\": \"e-1\", \"type\": ".getBytes(StandardCharsets.UTF_8);

    InvalidMessage record =
        invalid(parser.parse("m", attributes, broken), InvalidReason.MALFORMED_JSON);
    assertThat(record.hasEvent()).isFalse();
  }

  @Test
  void binaryEventWhoseBytesLookLikeWhitespaceThenBraceIsStillReadAsProtobuf() {
    // Tag 0x0A (id, length-delimited) followed by length 123 = '{': the first bytes are "\n{".
    Event event = event("x".repeat(123)).build();
    byte[] bytes = event.toByteArray();
    assertThat(new String(bytes, 0, 2, StandardCharsets.ISO_8859_1)).isEqualTo("\n{");
    Map<String, String> attributes = attributes(event, ContentType.PROTOBUF);
    attributes.remove(MessageAttributes.CONTENT_TYPE);

    assertThat(valid(parser.parse("m", attributes, bytes))).isEqualTo(event);
  }

  @Test
  void contentTypeDecidesEvenWhenThePayloadLooksLikeTheOtherFormat() {
    Event event = event("e-1").build();
    Map<String, String> attributes = attributes(event, ContentType.PROTOBUF);

    invalid(
        parser.parse("m", attributes, payload(event, ContentType.JSON)),
        InvalidReason.MALFORMED_PROTOBUF);
  }

  @Test
  void contentTypeParametersAndLegacyProtobufNameAreAccepted() {
    Event event = event("e-1").build();
    Map<String, String> attributes = attributes(event, ContentType.JSON);
    attributes.put(MessageAttributes.CONTENT_TYPE, "Application/JSON; charset=utf-8");
    assertThat(valid(parser.parse("m", attributes, payload(event, ContentType.JSON))))
        .isEqualTo(event);

    attributes.put(MessageAttributes.CONTENT_TYPE, "application/x-protobuf");
    assertThat(valid(parser.parse("m", attributes, event.toByteArray()))).isEqualTo(event);
  }

  @Test
  void unsupportedContentType() {
    Event event = event("e-1").build();
    Map<String, String> attributes = attributes(event, ContentType.JSON);
    attributes.put(MessageAttributes.CONTENT_TYPE, "text/csv");

    InvalidMessage record =
        invalid(
            parser.parse("m", attributes, payload(event, ContentType.JSON)),
            InvalidReason.UNSUPPORTED_CONTENT_TYPE);
    assertThat(record.getMessage()).contains("text/csv");
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void payloadOverTheLimitIsRejectedBeforeDecoding(ContentType contentType) {
    EventParser small = new EventParser(ValidationLimits.DEFAULTS.withMaxPayloadBytes(100), CLOCK);
    Event event = event("e-1").putAttributes("note", AttributeValues.of("x".repeat(200))).build();

    InvalidMessage record =
        invalid(
            small.parse("m", attributes(event, contentType), payload(event, contentType)),
            InvalidReason.PAYLOAD_TOO_LARGE);
    assertThat(record.hasEvent()).isFalse();
    assertThat(record.getPayload().size()).isGreaterThan(200);
  }

  @Test
  void hugePayloadIsKeptWhole() {
    byte[] huge = new byte[ValidationLimits.DEFAULTS.maxPayloadBytes() + 1];
    InvalidMessage record =
        invalid(parser.parse("m", Map.of(), huge), InvalidReason.PAYLOAD_TOO_LARGE);
    assertThat(record.getPayload().size()).isEqualTo(huge.length);
  }

  @Test
  void malformedProtobuf() {
    byte[] truncated = event("e-1").build().toByteArray();
    byte[] bytes = java.util.Arrays.copyOf(truncated, truncated.length - 3);
    Map<String, String> attributes =
        Map.of(MessageAttributes.CONTENT_TYPE, ContentType.PROTOBUF.mimeType());

    invalid(parser.parse("m", attributes, bytes), InvalidReason.MALFORMED_PROTOBUF);
  }

  @Test
  void jsonWithUnknownFieldIsMalformed() {
    Map<String, String> attributes =
        Map.of(MessageAttributes.CONTENT_TYPE, ContentType.JSON.mimeType());
    byte[] json = "{\"id\":\"e-1\",\"colour\":\"red\"}".getBytes(StandardCharsets.UTF_8);

    invalid(parser.parse("m", attributes, json), InvalidReason.MALFORMED_JSON);
  }

  @Test
  void jsonThatIsNotUtf8IsMalformed() {
    Map<String, String> attributes =
        Map.of(MessageAttributes.CONTENT_TYPE, ContentType.JSON.mimeType());
    byte[] json = {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xC3, '"', '}'};

    invalid(parser.parse("m", attributes, json), InvalidReason.MALFORMED_JSON);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void missingId(ContentType contentType) {
    Event event = event("").build();
    invalid(parse(event, contentType), InvalidReason.MISSING_ID);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void idDifferentFromTheIdAttribute(ContentType contentType) {
    Event event = event("e-1").build();
    Map<String, String> attributes = attributes(event, contentType);
    attributes.put(MessageAttributes.ID, "e-2");

    InvalidMessage record =
        invalid(
            parser.parse("m", attributes, payload(event, contentType)),
            InvalidReason.ID_ATTRIBUTE_MISMATCH);
    assertThat(record.getMessage()).contains("e-1").contains("e-2");
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void missingIdAttribute(ContentType contentType) {
    Event event = event("e-1").build();
    Map<String, String> attributes = attributes(event, contentType);
    attributes.remove(MessageAttributes.ID);

    invalid(
        parser.parse("m", attributes, payload(event, contentType)),
        InvalidReason.ID_ATTRIBUTE_MISMATCH);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void blankType(ContentType contentType) {
    invalid(parse(event("e-1").setType("  ").build(), contentType), InvalidReason.MISSING_TYPE);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void blankSource(ContentType contentType) {
    invalid(parse(event("e-1").setSource("").build(), contentType), InvalidReason.MISSING_SOURCE);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void missingTimestamp(ContentType contentType) {
    invalid(
        parse(event("e-1").clearTimestamp().build(), contentType), InvalidReason.MISSING_TIMESTAMP);
  }

  @Test
  void outOfRangeTimestamp() {
    // JSON cannot even express such a timestamp; binary protobuf can.
    Event event =
        event("e-1").setTimestamp(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE)).build();
    invalid(parse(event, ContentType.PROTOBUF), InvalidReason.INVALID_TIMESTAMP);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void timestampBeforeTheEarliestAccepted(ContentType contentType) {
    Event event =
        event("e-1").setTimestamp(Timestamps.parseUnchecked("1999-12-31T23:59:59Z")).build();
    invalid(parse(event, contentType), InvalidReason.TIMESTAMP_TOO_EARLY);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void timestampMoreThanADayAhead(ContentType contentType) {
    Event event =
        event("e-1")
            .setTimestamp(Timestamps.fromMillis(NOW.plusSeconds(24 * 3600 + 1).toEpochMilli()))
            .build();
    invalid(parse(event, contentType), InvalidReason.TIMESTAMP_TOO_FAR_IN_FUTURE);
  }

  @Test
  void timestampBoundsAreConfigurable() {
    EventParser strict =
        new EventParser(
            ValidationLimits.DEFAULTS
                .withMaxFutureSkew(java.time.Duration.ZERO)
                .withEarliestTimestamp(NOW.minusSeconds(60)),
            CLOCK);
    Event hourOld = event("e-1").build();
    invalid(
        strict.parse("m", attributes(hourOld, ContentType.PROTOBUF), hourOld.toByteArray()),
        InvalidReason.TIMESTAMP_TOO_EARLY);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void noAttributes(ContentType contentType) {
    invalid(
        parse(event("e-1").clearAttributes().build(), contentType), InvalidReason.NO_ATTRIBUTES);
  }

  @Test
  void tooManyAttributes() {
    EventParser limited = new EventParser(ValidationLimits.DEFAULTS.withMaxAttributes(2), CLOCK);
    Event event = event("e-1").putAttributes("third", AttributeValues.of(true)).build();
    invalid(
        limited.parse("m", attributes(event, ContentType.JSON), payload(event, ContentType.JSON)),
        InvalidReason.TOO_MANY_ATTRIBUTES);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void blankAttributeKey(ContentType contentType) {
    invalid(
        parse(event("e-1").putAttributes(" ", AttributeValues.of(1L)).build(), contentType),
        InvalidReason.BLANK_ATTRIBUTE_KEY);
  }

  @Test
  void attributeKeyTooLong() {
    EventParser limited = new EventParser(ValidationLimits.DEFAULTS.withMaxKeyLength(8), CLOCK);
    Event event = event("e-1").build();
    invalid(
        limited.parse("m", attributes(event, ContentType.JSON), payload(event, ContentType.JSON)),
        InvalidReason.ATTRIBUTE_KEY_TOO_LONG);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void attributeValueNotSet(ContentType contentType) {
    Event event = event("e-1").putAttributes("empty", AttributeValue.getDefaultInstance()).build();
    invalid(parse(event, contentType), InvalidReason.ATTRIBUTE_VALUE_NOT_SET);
  }

  @Test
  void outOfRangeAttributeTimestamp() {
    Event event =
        event("e-1")
            .putAttributes(
                "shipped_at",
                AttributeValues.of(Timestamp.newBuilder().setSeconds(Long.MIN_VALUE).build()))
            .build();
    invalid(parse(event, ContentType.PROTOBUF), InvalidReason.INVALID_ATTRIBUTE_TIMESTAMP);
  }

  @Test
  void outOfRangeAttributeDuration() {
    Event event =
        event("e-1")
            .putAttributes(
                "latency",
                AttributeValues.of(Duration.newBuilder().setSeconds(Long.MAX_VALUE).build()))
            .build();
    invalid(parse(event, ContentType.PROTOBUF), InvalidReason.INVALID_ATTRIBUTE_DURATION);
  }

  @ParameterizedTest
  @EnumSource(ContentType.class)
  void stringLongerThanTheLimit(ContentType contentType) {
    EventParser limited = new EventParser(ValidationLimits.DEFAULTS.withMaxStringLength(10), CLOCK);
    Event event = event("e-1").setSource("a-very-long-source-name").build();
    invalid(
        limited.parse("m", attributes(event, contentType), payload(event, contentType)),
        InvalidReason.STRING_TOO_LONG);
  }

  @Test
  void firstBrokenRuleIsReported() {
    // No id attribute, blank type and no attributes: the id rule comes first.
    Event event = event("e-1").setType("").clearAttributes().build();
    Map<String, String> attributes = new HashMap<>(attributes(event, ContentType.JSON));
    attributes.remove(MessageAttributes.ID);
    invalid(
        parser.parse("m", attributes, payload(event, ContentType.JSON)),
        InvalidReason.ID_ATTRIBUTE_MISMATCH);
  }

  @Test
  void emptyPayloadWithoutContentTypeIsAnEventWithoutId() {
    invalid(parser.parse("m", Map.of(), new byte[0]), InvalidReason.MISSING_ID);
  }
}
