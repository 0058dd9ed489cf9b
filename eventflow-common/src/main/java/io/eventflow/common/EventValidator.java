package io.eventflow.common;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The rules a parsed event must follow to be ingested. The publisher applies the same rules before
 * an event leaves the process, so a producer learns about a bad event from an exception instead of
 * a dead-letter row.
 *
 * <p>Rules are checked in a fixed order and the first violation is reported, so a given event
 * always gets the same reason code.
 */
public final class EventValidator {
  private final ValidationLimits limits;
  private final Clock clock;

  /** Creates a validator with the given limits, judging "the future" by the given clock. */
  public EventValidator(ValidationLimits limits, Clock clock) {
    this.limits = limits;
    this.clock = clock;
  }

  /** Returns the limits this validator applies. */
  public ValidationLimits limits() {
    return limits;
  }

  /** Returns the first rule the event breaks, or empty when it is valid. */
  public Optional<Violation> validate(Event event) {
    if (event.getId().isEmpty()) {
      return violation(InvalidReason.MISSING_ID, "event has no id");
    }
    if (isBlank(event.getType())) {
      return violation(InvalidReason.MISSING_TYPE, "event type is blank");
    }
    if (isBlank(event.getSource())) {
      return violation(InvalidReason.MISSING_SOURCE, "event source is blank");
    }
    Optional<Violation> tooLong =
        checkLength("id", event.getId())
            .or(() -> checkLength("type", event.getType()))
            .or(() -> checkLength("source", event.getSource()))
            .or(() -> checkLength("customer", event.getCustomer().getValue()));
    if (tooLong.isPresent()) {
      return tooLong;
    }
    Optional<Violation> timestamp = checkTimestamp(event);
    if (timestamp.isPresent()) {
      return timestamp;
    }
    return checkAttributes(event.getAttributesMap());
  }

  private Optional<Violation> checkTimestamp(Event event) {
    if (!event.hasTimestamp()) {
      return violation(InvalidReason.MISSING_TIMESTAMP, "event has no timestamp");
    }
    Timestamp ts = event.getTimestamp();
    if (!Timestamps.isValid(ts)) {
      return violation(
          InvalidReason.INVALID_TIMESTAMP,
          "event timestamp is out of range: seconds="
              + ts.getSeconds()
              + " nanos="
              + ts.getNanos());
    }
    Instant instant = Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos());
    if (instant.isBefore(limits.earliestTimestamp())) {
      return violation(
          InvalidReason.TIMESTAMP_TOO_EARLY,
          "event timestamp " + instant + " is before " + limits.earliestTimestamp());
    }
    Instant latest = clock.instant().plus(limits.maxFutureSkew());
    if (instant.isAfter(latest)) {
      return violation(
          InvalidReason.TIMESTAMP_TOO_FAR_IN_FUTURE,
          "event timestamp " + instant + " is more than " + limits.maxFutureSkew() + " ahead");
    }
    return Optional.empty();
  }

  private Optional<Violation> checkAttributes(Map<String, AttributeValue> attributes) {
    if (attributes.isEmpty()) {
      return violation(InvalidReason.NO_ATTRIBUTES, "event has no attributes");
    }
    if (attributes.size() > limits.maxAttributes()) {
      return violation(
          InvalidReason.TOO_MANY_ATTRIBUTES,
          "event has " + attributes.size() + " attributes, more than " + limits.maxAttributes());
    }
    for (Map.Entry<String, AttributeValue> entry : attributes.entrySet()) {
      String key = entry.getKey();
      if (isBlank(key)) {
        return violation(InvalidReason.BLANK_ATTRIBUTE_KEY, "attribute key is blank");
      }
      if (key.length() > limits.maxKeyLength()) {
        return violation(
            InvalidReason.ATTRIBUTE_KEY_TOO_LONG,
            "attribute key "
                + abbreviate(key)
                + " is "
                + key.length()
                + " chars, more than "
                + limits.maxKeyLength());
      }
      Optional<Violation> value = checkValue(key, entry.getValue());
      if (value.isPresent()) {
        return value;
      }
    }
    return Optional.empty();
  }

  private Optional<Violation> checkValue(String key, AttributeValue value) {
    switch (value.getValueCase()) {
      case VALUE_NOT_SET:
        return violation(
            InvalidReason.ATTRIBUTE_VALUE_NOT_SET,
            "attribute " + abbreviate(key) + " has no value");
      case TIMESTAMP_VALUE:
        if (!Timestamps.isValid(value.getTimestampValue())) {
          return violation(
              InvalidReason.INVALID_ATTRIBUTE_TIMESTAMP,
              "attribute " + abbreviate(key) + " has an out-of-range timestamp");
        }
        return Optional.empty();
      case DURATION_VALUE:
        if (!Durations.isValid(value.getDurationValue())) {
          return violation(
              InvalidReason.INVALID_ATTRIBUTE_DURATION,
              "attribute " + abbreviate(key) + " has an out-of-range duration");
        }
        return Optional.empty();
      case STRING_VALUE:
        return checkLength("attribute " + abbreviate(key), value.getStringValue());
      default:
        return Optional.empty();
    }
  }

  private Optional<Violation> checkLength(String what, String value) {
    if (value.length() > limits.maxStringLength()) {
      return violation(
          InvalidReason.STRING_TOO_LONG,
          what + " is " + value.length() + " chars, more than " + limits.maxStringLength());
    }
    return Optional.empty();
  }

  private static boolean isBlank(String s) {
    return s.isBlank();
  }

  /** Keeps messages short when a key itself is the problem. */
  private static String abbreviate(String key) {
    return '"' + (key.length() <= 64 ? key : key.substring(0, 61) + "...") + '"';
  }

  private static Optional<Violation> violation(InvalidReason reason, String message) {
    return Optional.of(new Violation(reason, message));
  }
}
