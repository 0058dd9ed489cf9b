package io.eventflow.mqtt;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.EventJson;
import io.eventflow.common.EventJsonException;
import io.eventflow.common.EventValidator;
import io.eventflow.common.Violation;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.io.IOException;
import java.math.BigInteger;
import java.text.ParseException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Turns a device message into an eventflow {@link Event}, or into a dead letter saying why it
 * cannot be one. Plain Java: it knows neither MQTT clients nor Pub/Sub.
 *
 * <p>The steps, in order (the first failure decides the dead letter's reason):
 *
 * <ol>
 *   <li>a payload over {@code maxPayloadBytes} (256 KiB, ingest's limit) is {@code
 *       PAYLOAD_TOO_LARGE};
 *   <li>the first {@link TopicTemplate} the topic matches names its fields; no match is {@code
 *       MISSING_TYPE};
 *   <li>a binary protobuf {@code Event} (parses with no unknown fields, has a type or an id) or a
 *       proto3 JSON {@code Event} ({@link EventJson}) is taken as it is;
 *   <li>under a template with placeholders, any other JSON object becomes the attributes: numbers
 *       (integers as int64, others as double), strings and booleans; nested objects flattened with
 *       {@code .} ({@code {"gps":{"lat":1}}} is {@code gps.lat}); nulls skipped; a top-level string
 *       {@code id} is the event id and a top-level {@code timestamp} (RFC 3339 text or epoch
 *       milliseconds) the event time. Arrays, duplicate keys and bad JSON are {@code
 *       MALFORMED_JSON}; a payload that is neither JSON nor an event is {@code MALFORMED_JSON} when
 *       it is text and {@code MALFORMED_PROTOBUF} otherwise;
 *   <li>fields the event lacks are filled: type, source, customer and extra placeholders from the
 *       topic, MQTT 5 user properties as string attributes, the default source, the receipt time,
 *       and an id from {@link DeterministicIds}; what the payload has always wins;
 *   <li>the event must pass ingest's {@link EventValidator}, else its violation is the reason.
 * </ol>
 */
public final class EventMapper {
  /** Attribute of a dead letter holding the MQTT topic the message came from. */
  public static final String TOPIC_ATTRIBUTE = "mqtt.topic";

  private static final JsonFactory JSON =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private final List<TopicTemplate> templates;
  private final EventValidator validator;
  private final String defaultSource;

  /**
   * Creates a mapper.
   *
   * @param templates tried in order; the first the topic matches applies
   * @param validator ingest's rules, with its limits and clock
   * @param defaultSource the source of events whose payload and topic name none ("" for none)
   */
  public EventMapper(
      List<TopicTemplate> templates, EventValidator validator, String defaultSource) {
    if (templates.isEmpty()) {
      throw new IllegalArgumentException("at least one topic template is required");
    }
    this.templates = List.copyOf(templates);
    this.validator = Objects.requireNonNull(validator, "validator");
    this.defaultSource = Objects.requireNonNull(defaultSource, "defaultSource");
  }

  /** Maps one message. Never throws for bad input: bad input is a dead letter. */
  public Mapped map(DeviceMessage message) {
    byte[] payload = message.payload();
    int maxBytes = validator.limits().maxPayloadBytes();
    if (payload.length > maxBytes) {
      return deadLetter(
          message,
          InvalidReason.PAYLOAD_TOO_LARGE,
          "payload is " + payload.length + " bytes, more than " + maxBytes,
          null);
    }
    TopicTemplate template = null;
    Map<String, String> topicFields = null;
    for (TopicTemplate candidate : templates) {
      Optional<Map<String, String>> fields = candidate.match(message.topic());
      if (fields.isPresent()) {
        template = candidate;
        topicFields = fields.get();
        break;
      }
    }
    if (template == null) {
      return deadLetter(
          message,
          InvalidReason.MISSING_TYPE,
          "topic " + message.topic() + " matches none of the topic templates " + templates,
          null);
    }

    Event.Builder event;
    try {
      event = decode(payload, !template.isLiteral());
    } catch (PayloadException e) {
      return deadLetter(message, e.reason, e.getMessage(), null);
    }
    fill(event, topicFields, message);
    Event built = event.build();
    Optional<Violation> violation = validator.validate(built);
    if (violation.isPresent()) {
      return deadLetter(message, violation.get().reason(), violation.get().message(), built);
    }
    return new Mapped.ToEvents(built);
  }

  private Event.Builder decode(byte[] payload, boolean rawAllowed) throws PayloadException {
    if (payload.length == 0) {
      throw new PayloadException(InvalidReason.MALFORMED_JSON, "payload is empty");
    }
    // A first byte '{' (0x7B) is the tag of field 15 as a group start, which Event (proto3, no
    // groups, no field 15) keeps only as an unknown field: binaryEvent would say no. Skipping it
    // saved 9% of the bridge's dispatch thread on JSON payloads (docs/BENCHMARKS.md).
    if (payload[0] != '{') {
      Optional<Event> binary = binaryEvent(payload);
      if (binary.isPresent()) {
        return binary.get().toBuilder();
      }
    }
    int first = firstNonWhitespace(payload);
    if (first < 0 || payload[first] != '{') {
      boolean text = first >= 0 && payload[first] >= 0x20 && payload[first] < 0x7F;
      throw new PayloadException(
          text ? InvalidReason.MALFORMED_JSON : InvalidReason.MALFORMED_PROTOBUF,
          text
              ? "payload is not a JSON object (it starts with '" + (char) payload[first] + "')"
              : "payload is neither a JSON object nor a binary eventflow Event");
    }
    // A device's own object first: JsonFormat, which EventJson falls back to, rejects a document
    // with a top-level name that is no field of Event, so once the device's object has one the
    // answer is the device's object (or why it is bad) without trying EventJson. That attempt
    // failed on every raw reading and cost 19% of the bridge's dispatch thread.
    DeviceObject raw = null;
    if (rawAllowed) {
      raw = fromJsonObject(payload);
      if (raw.hasNonEventName) {
        return raw.event();
      }
    }
    try {
      return EventJson.parse(payload).toBuilder();
    } catch (EventJsonException notAnEvent) {
      if (!rawAllowed) {
        throw new PayloadException(
            InvalidReason.MALFORMED_JSON,
            "payload is not an eventflow Event (the topic's template names no fields): "
                + notAnEvent.getMessage());
      }
    }
    return raw.event();
  }

  /**
   * A binary Event, if the payload is one. Any byte string that is not one fails to parse or leaves
   * unknown fields in all but freak cases; requiring a type or an id rules out the rest (the empty
   * message parses as an empty Event).
   */
  private static Optional<Event> binaryEvent(byte[] payload) {
    try {
      Event event = Event.parseFrom(payload);
      if (event.getUnknownFields().asMap().isEmpty()
          && (!event.getType().isEmpty() || !event.getId().isEmpty())) {
        return Optional.of(event);
      }
    } catch (InvalidProtocolBufferException e) {
      // Not protobuf: JSON or garbage.
    }
    return Optional.empty();
  }

  private static int firstNonWhitespace(byte[] payload) {
    for (int i = 0; i < payload.length; i++) {
      byte b = payload[i];
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return i;
      }
    }
    return -1;
  }

  /** Field names JsonFormat reads as Event's: each field's proto name and its JSON name. */
  private static final Set<String> EVENT_NAMES =
      Event.getDescriptor().getFields().stream()
          .flatMap(f -> Stream.of(f.getName(), f.getJsonName()))
          .collect(Collectors.toUnmodifiableSet());

  /**
   * A device's own JSON object read as attributes: the event, or why the payload cannot be one, and
   * whether a top-level name is no field of Event (then no JsonFormat reading accepts it).
   */
  private static final class DeviceObject {
    private Event.Builder event;
    private PayloadException error;
    private boolean hasNonEventName;

    Event.Builder event() throws PayloadException {
      if (error != null) {
        throw error;
      }
      return event;
    }
  }

  /** A device's own JSON object: attributes, plus an optional top-level id and timestamp. */
  private static DeviceObject fromJsonObject(byte[] payload) {
    DeviceObject raw = new DeviceObject();
    Event.Builder event = Event.newBuilder();
    try (JsonParser parser = JSON.createParser(payload)) {
      parser.nextToken(); // START_OBJECT: the caller saw '{' first
      readObject(parser, "", event, raw);
      if (parser.nextToken() != null) {
        throw new PayloadException(
            InvalidReason.MALFORMED_JSON, "payload has content after its JSON object");
      }
      raw.event = event;
    } catch (PayloadException e) {
      raw.error = e;
    } catch (JsonProcessingException e) {
      raw.error =
          new PayloadException(
              InvalidReason.MALFORMED_JSON, "payload is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      // Parsing a byte array does no I/O; Jackson declares it anyway.
      raw.error = new PayloadException(InvalidReason.MALFORMED_JSON, "payload unreadable: " + e);
    }
    return raw;
  }

  private static void readObject(
      JsonParser parser, String prefix, Event.Builder event, DeviceObject raw)
      throws IOException, PayloadException {
    JsonToken token;
    while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
      String key = prefix + parser.currentName();
      if (prefix.isEmpty() && !EVENT_NAMES.contains(key)) {
        raw.hasNonEventName = true;
      }
      JsonToken value = parser.nextToken();
      if (prefix.isEmpty() && key.equals("id")) {
        if (value != JsonToken.VALUE_STRING) {
          throw new PayloadException(InvalidReason.MALFORMED_JSON, "\"id\" must be a string");
        }
        event.setId(parser.getText());
        continue;
      }
      if (prefix.isEmpty() && key.equals("timestamp")) {
        event.setTimestamp(timestamp(parser, value));
        continue;
      }
      switch (value) {
        case START_OBJECT -> readObject(parser, key + ".", event, raw);
        case START_ARRAY ->
            throw new PayloadException(
                InvalidReason.MALFORMED_JSON,
                "\"" + key + "\" is an array; attributes are numbers, strings or booleans");
        case VALUE_STRING -> event.putAttributes(key, AttributeValues.of(parser.getText()));
        case VALUE_TRUE, VALUE_FALSE ->
            event.putAttributes(key, AttributeValues.of(value == JsonToken.VALUE_TRUE));
        case VALUE_NUMBER_INT -> event.putAttributes(key, integer(parser));
        case VALUE_NUMBER_FLOAT ->
            event.putAttributes(key, AttributeValues.of(parser.getDoubleValue()));
        case VALUE_NULL -> {
          // No value to keep: a device leaving a reading out.
        }
        default -> throw new PayloadException(InvalidReason.MALFORMED_JSON, "unexpected " + value);
      }
    }
    if (token != JsonToken.END_OBJECT) {
      throw new PayloadException(InvalidReason.MALFORMED_JSON, "unexpected " + token);
    }
  }

  /** An integer as int64 when it fits, else as a double (as JavaScript devices would read it). */
  private static AttributeValue integer(JsonParser parser) throws IOException {
    if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      BigInteger big = parser.getBigIntegerValue();
      return AttributeValues.of(big.doubleValue());
    }
    return AttributeValues.of(parser.getLongValue());
  }

  private static Timestamp timestamp(JsonParser parser, JsonToken value)
      throws IOException, PayloadException {
    if (value == JsonToken.VALUE_STRING) {
      try {
        return Timestamps.parse(parser.getText());
      } catch (ParseException e) {
        throw new PayloadException(
            InvalidReason.INVALID_TIMESTAMP,
            "\"timestamp\" " + parser.getText() + " is not RFC 3339: " + e.getMessage());
      }
    }
    if (value == JsonToken.VALUE_NUMBER_INT
        && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
      return Timestamps.fromMillis(parser.getLongValue());
    }
    throw new PayloadException(
        InvalidReason.INVALID_TIMESTAMP,
        "\"timestamp\" must be RFC 3339 text or epoch milliseconds");
  }

  private void fill(Event.Builder event, Map<String, String> topicFields, DeviceMessage message) {
    for (Map.Entry<String, String> field : topicFields.entrySet()) {
      String value = field.getValue();
      switch (field.getKey()) {
        case TopicTemplate.TYPE -> {
          if (event.getType().isEmpty()) {
            event.setType(value);
          }
        }
        case TopicTemplate.SOURCE -> {
          if (event.getSource().isEmpty()) {
            event.setSource(value);
          }
        }
        case TopicTemplate.CUSTOMER -> {
          if (!event.hasCustomer()) {
            event.setCustomer(StringValue.of(value));
          }
        }
        default -> {
          if (!event.containsAttributes(field.getKey())) {
            event.putAttributes(field.getKey(), AttributeValues.of(value));
          }
        }
      }
    }
    for (Map.Entry<String, String> property : message.userProperties()) {
      if (!event.containsAttributes(property.getKey())) {
        event.putAttributes(property.getKey(), AttributeValues.of(property.getValue()));
      }
    }
    if (event.getSource().isEmpty()) {
      event.setSource(defaultSource);
    }
    if (!event.hasTimestamp()) {
      Instant at = message.receivedAt();
      event.setTimestamp(
          Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()));
    }
    if (event.getId().isEmpty()) {
      event.setId(
          DeterministicIds.idOf(message.topic(), message.payload(), message.correlationData()));
    }
  }

  /** The dead letter of a message, in ingest's {@link InvalidMessage} shape. */
  static Mapped deadLetter(
      DeviceMessage message, InvalidReason reason, String description, Event event) {
    InvalidMessage.Builder invalid =
        InvalidMessage.newBuilder()
            .putAttributes(TOPIC_ATTRIBUTE, message.topic())
            .setPayload(ByteString.copyFrom(message.payload()))
            .setReceivedAt(
                Timestamp.newBuilder()
                    .setSeconds(message.receivedAt().getEpochSecond())
                    .setNanos(message.receivedAt().getNano()))
            .setReason(reason)
            .setMessage(description);
    for (Map.Entry<String, String> property : message.userProperties()) {
      if (!property.getKey().equals(TOPIC_ATTRIBUTE)) {
        invalid.putAttributes(property.getKey(), property.getValue());
      }
    }
    if (event != null) {
      invalid.setEvent(event);
    }
    return new Mapped.ToDeadLetters(invalid.build());
  }

  /** Why a payload cannot be decoded, with its stable reason. */
  private static final class PayloadException extends Exception {
    private static final long serialVersionUID = 1L;
    final InvalidReason reason;

    PayloadException(InvalidReason reason, String message) {
      super(message);
      this.reason = reason;
    }
  }
}
