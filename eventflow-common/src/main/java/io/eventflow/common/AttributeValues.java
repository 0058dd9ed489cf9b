package io.eventflow.common;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import io.eventflow.common.pb.AttributeValue;
import java.util.Base64;
import java.util.OptionalDouble;

/** Factories for {@link AttributeValue} and the numeric views the pipelines aggregate. */
public final class AttributeValues {
  private static final long MICROS_PER_SECOND = 1_000_000L;
  private static final int NANOS_PER_MICRO = 1_000;

  private AttributeValues() {}

  /** Returns a boolean attribute value. */
  public static AttributeValue of(boolean value) {
    return AttributeValue.newBuilder().setBoolValue(value).build();
  }

  /** Returns an integer attribute value. */
  public static AttributeValue of(long value) {
    return AttributeValue.newBuilder().setIntValue(value).build();
  }

  /** Returns a floating-point attribute value. */
  public static AttributeValue of(double value) {
    return AttributeValue.newBuilder().setFloatValue(value).build();
  }

  /** Returns a string attribute value. */
  public static AttributeValue of(String value) {
    return AttributeValue.newBuilder().setStringValue(value).build();
  }

  /** Returns a bytes attribute value. */
  public static AttributeValue of(ByteString value) {
    return AttributeValue.newBuilder().setBytesValue(value).build();
  }

  /** Returns a timestamp attribute value. */
  public static AttributeValue of(Timestamp value) {
    return AttributeValue.newBuilder().setTimestampValue(value).build();
  }

  /** Returns a duration attribute value. */
  public static AttributeValue of(Duration value) {
    return AttributeValue.newBuilder().setDurationValue(value).build();
  }

  /** Returns whether rollups can aggregate the value: an int, a double or a duration. */
  public static boolean isNumeric(AttributeValue value) {
    return switch (value.getValueCase()) {
      case INT_VALUE, FLOAT_VALUE, DURATION_VALUE -> true;
      default -> false;
    };
  }

  /**
   * Returns the number rollups aggregate for a value: an int as is, a double as is, a duration in
   * microseconds; empty for every other kind.
   *
   * <p>Durations are aggregated in microseconds because a double holds every microsecond count up
   * to 2^53 µs (285 years) exactly, while nanoseconds would lose precision past 104 days.
   */
  public static OptionalDouble numericValue(AttributeValue value) {
    return switch (value.getValueCase()) {
      case INT_VALUE -> OptionalDouble.of(value.getIntValue());
      case FLOAT_VALUE -> OptionalDouble.of(value.getFloatValue());
      case DURATION_VALUE -> OptionalDouble.of(toMicros(value.getDurationValue()));
      default -> OptionalDouble.empty();
    };
  }

  /**
   * Returns a value as text, as its proto3 JSON would show it without quotes: strings as is,
   * numbers and booleans in decimal, bytes in base64, timestamps in RFC 3339, durations like {@code
   * 1.5s}; the empty string for an unset value. For Pub/Sub attributes and series names.
   */
  public static String toText(AttributeValue value) {
    return switch (value.getValueCase()) {
      case STRING_VALUE -> value.getStringValue();
      case INT_VALUE -> Long.toString(value.getIntValue());
      case FLOAT_VALUE -> Double.toString(value.getFloatValue());
      case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
      case BYTES_VALUE -> Base64.getEncoder().encodeToString(value.getBytesValue().toByteArray());
      case TIMESTAMP_VALUE -> Rfc3339.format(value.getTimestampValue());
      case DURATION_VALUE -> Durations.toString(value.getDurationValue());
      case VALUE_NOT_SET -> "";
    };
  }

  /** Returns a duration in whole microseconds, truncating toward zero. */
  public static long toMicros(Duration duration) {
    return Math.addExact(
        Math.multiplyExact(duration.getSeconds(), MICROS_PER_SECOND),
        duration.getNanos() / NANOS_PER_MICRO);
  }
}
