package io.eventflow.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.EventJsonException;
import io.eventflow.common.EventValidator;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.Violation;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Turns one Pub/Sub message (payload and attributes) into a valid {@link Event} or an {@link
 * InvalidMessage} with a stable reason code. Plain Java: {@link ParseEvents} runs it in Beam.
 *
 * <p>Rules are checked in a fixed order and the first broken one is reported, so a given message
 * always gets the same reason: payload size, content type, decoding, id present, id equal to the
 * {@code event.id} attribute, then the {@link EventValidator} rules.
 *
 * <p>Never throws on any payload or attributes: every input ends as one of the two outcomes.
 */
public final class EventParser {
  private final ValidationLimits limits;
  private final EventValidator validator;
  private final Clock clock;

  /** Creates a parser applying the given limits and judging time by the given clock. */
  public EventParser(ValidationLimits limits, Clock clock) {
    this.limits = limits;
    this.validator = new EventValidator(limits, clock);
    this.clock = clock;
  }

  /**
   * Parses and validates one message.
   *
   * @param messageId the Pub/Sub message id, or empty when unknown
   * @param attributes the message attributes
   * @param payload the message payload
   */
  public ParseOutcome parse(String messageId, Map<String, String> attributes, byte[] payload) {
    // The dead-letter record is built only for a message that fails: copying every message's
    // attributes and payload into one took 2% of the local stack's CPU at 20,000 events/s.
    Received invalid = new Received(messageId, attributes, payload, clock.instant());

    // The size check comes first so an oversized payload is never decoded: decoding costs CPU and
    // memory proportional to the size, and a 10 MB message (Pub/Sub's limit) would otherwise become
    // a 10 MB BigQuery row, BigQuery's limit.
    if (payload.length > limits.maxPayloadBytes()) {
      return invalid(
          invalid,
          InvalidReason.PAYLOAD_TOO_LARGE,
          "payload is " + payload.length + " bytes, more than " + limits.maxPayloadBytes());
    }

    Decoded decoded = decode(attributes.get(MessageAttributes.CONTENT_TYPE), payload);
    if (decoded.violation != null) {
      return invalid(invalid, decoded.violation.reason(), decoded.violation.message());
    }
    Event event = decoded.event;
    invalid.event = event;

    if (event.getId().isEmpty()) {
      return invalid(invalid, InvalidReason.MISSING_ID, "event has no id");
    }
    String idAttribute = attributes.get(MessageAttributes.ID);
    if (idAttribute == null) {
      return invalid(
          invalid,
          InvalidReason.ID_ATTRIBUTE_MISMATCH,
          "message has no " + MessageAttributes.ID + " attribute");
    }
    if (!idAttribute.equals(event.getId())) {
      return invalid(
          invalid,
          InvalidReason.ID_ATTRIBUTE_MISMATCH,
          "event id "
              + abbreviate(event.getId())
              + " differs from the "
              + MessageAttributes.ID
              + " attribute "
              + abbreviate(idAttribute));
    }
    Optional<Violation> violation = validator.validate(event);
    if (violation.isPresent()) {
      return invalid(invalid, violation.get().reason(), violation.get().message());
    }
    if (event.hasEnrichment()) {
      // Only ingest's enrichment step says what is known about an event; a publisher cannot.
      event = event.toBuilder().clearEnrichment().build();
    }
    return new ParseOutcome.Valid(event);
  }

  /** Returns the content type the payload is decoded as: the attribute, else a sniff. */
  private static Decoded decode(String contentTypeAttribute, byte[] payload) {
    if (contentTypeAttribute != null) {
      Optional<ContentType> declared = ContentType.fromMimeType(contentTypeAttribute);
      if (declared.isEmpty()) {
        return Decoded.failure(
            InvalidReason.UNSUPPORTED_CONTENT_TYPE,
            "content-type "
                + abbreviate(contentTypeAttribute)
                + " is neither "
                + ContentType.PROTOBUF.mimeType()
                + " nor "
                + ContentType.JSON.mimeType());
      }
      return declared.get() == ContentType.JSON ? decodeJson(payload) : decodeProtobuf(payload);
    }
    return decodeSniffed(payload);
  }

  /**
   * Decodes a payload without a content-type attribute.
   *
   * <p>The payload is JSON iff its first non-whitespace byte is <code>&#123;</code>. A binary
   * protobuf Event can never <em>start</em> with <code>&#123;</code>: 0x7B is the tag of field 15
   * with wire type 3 (start group), and Event has no field 15 and no groups, so protobuf rejects
   * such a payload. A JSON payload is therefore never mis-read as binary.
   *
   * <p>The converse needs care: the JSON whitespace bytes 0x09, 0x0A, 0x0D and 0x20 are also valid
   * protobuf tags (0x0A is the tag of the id field itself), so a binary event whose id is exactly
   * 123 bytes long starts with "\n{". Only when a leading-whitespace payload fails as JSON is it
   * tried as binary, and it is taken as binary only if it decodes; otherwise the JSON error stands.
   */
  private static Decoded decodeSniffed(byte[] payload) {
    int first = 0;
    while (first < payload.length && isJsonWhitespace(payload[first])) {
      first++;
    }
    if (first == payload.length || payload[first] != '{') {
      return decodeProtobuf(payload);
    }
    Decoded json = decodeJson(payload);
    if (json.violation == null || first == 0) {
      return json;
    }
    Decoded binary = decodeProtobuf(payload);
    return binary.violation == null ? binary : json;
  }

  private static boolean isJsonWhitespace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }

  private static Decoded decodeJson(byte[] payload) {
    try {
      return Decoded.success(EventJson.parse(payload));
    } catch (EventJsonException e) {
      return Decoded.failure(
          InvalidReason.MALFORMED_JSON, "payload is not a JSON event: " + e.getMessage());
    } catch (RuntimeException e) {
      // The codec promises EventJsonException for bad input; anything else is a codec bug, and a
      // codec bug must still not lose the message or stop the pipeline.
      return Decoded.failure(InvalidReason.MALFORMED_JSON, "payload is not a JSON event: " + e);
    }
  }

  private static Decoded decodeProtobuf(byte[] payload) {
    try {
      return Decoded.success(Event.parseFrom(payload));
    } catch (InvalidProtocolBufferException e) {
      return Decoded.failure(
          InvalidReason.MALFORMED_PROTOBUF, "payload is not a protobuf event: " + e.getMessage());
    } catch (RuntimeException e) {
      return Decoded.failure(
          InvalidReason.MALFORMED_PROTOBUF, "payload is not a protobuf event: " + e);
    }
  }

  private static ParseOutcome invalid(Received received, InvalidReason reason, String message) {
    InvalidMessage.Builder invalid =
        DeadLetters.of(
            received.messageId, received.attributes, received.payload, received.receivedAt);
    if (received.event != null) {
      invalid.setEvent(received.event);
    }
    return new ParseOutcome.Invalid(invalid.setReason(reason).setMessage(message).build());
  }

  /** What a dead-letter record is made of, should the message fail. */
  private static final class Received {
    final String messageId;
    final Map<String, String> attributes;
    final byte[] payload;
    final Instant receivedAt;

    /** The decoded event, once decoding succeeded. */
    @Nullable Event event;

    Received(String messageId, Map<String, String> attributes, byte[] payload, Instant receivedAt) {
      this.messageId = messageId;
      this.attributes = attributes;
      this.payload = payload;
      this.receivedAt = receivedAt;
    }
  }

  /** Keeps messages short when a value itself is the problem. */
  private static String abbreviate(String value) {
    return '"' + (value.length() <= 64 ? value : value.substring(0, 61) + "...") + '"';
  }

  /** A decoded event or the violation that prevented decoding. */
  private static final class Decoded {
    final Event event;
    final Violation violation;

    private Decoded(Event event, Violation violation) {
      this.event = event;
      this.violation = violation;
    }

    static Decoded success(Event event) {
      return new Decoded(event, null);
    }

    static Decoded failure(InvalidReason reason, String message) {
      return new Decoded(null, new Violation(reason, message));
    }
  }
}
