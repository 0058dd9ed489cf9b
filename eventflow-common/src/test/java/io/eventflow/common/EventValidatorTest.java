package io.eventflow.common;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class EventValidatorTest {
  /** The purchase fixture's timestamp plus one hour. */
  private static final Clock NOW =
      Clock.fixed(Instant.ofEpochSecond(1_717_171_717L + 3_600), ZoneOffset.UTC);

  private final EventValidator validator = new EventValidator(ValidationLimits.DEFAULTS, NOW);

  private InvalidReason reasonFor(Event event) {
    return validator.validate(event).map(Violation::reason).orElse(null);
  }

  @Test
  void acceptsATypicalEvent() {
    assertThat(validator.validate(SampleEvents.purchase())).isEmpty();
  }

  @Test
  void missingId() {
    assertThat(reasonFor(SampleEvents.purchase().toBuilder().clearId().build()))
        .isEqualTo(InvalidReason.MISSING_ID);
  }

  @Test
  void blankEventType() {
    assertThat(reasonFor(SampleEvents.purchase().toBuilder().setType(" \t").build()))
        .isEqualTo(InvalidReason.MISSING_TYPE);
  }

  @Test
  void blankSource() {
    assertThat(reasonFor(SampleEvents.purchase().toBuilder().setSource("").build()))
        .isEqualTo(InvalidReason.MISSING_SOURCE);
  }

  @Test
  void missingTimestamp() {
    assertThat(reasonFor(SampleEvents.purchase().toBuilder().clearTimestamp().build()))
        .isEqualTo(InvalidReason.MISSING_TIMESTAMP);
  }

  @Test
  void outOfRangeTimestamp() {
    Event event =
        SampleEvents.purchase().toBuilder()
            .setTimestamp(Timestamp.newBuilder().setNanos(-1))
            .build();
    assertThat(reasonFor(event)).isEqualTo(InvalidReason.INVALID_TIMESTAMP);
  }

  @Test
  void timestampBeforeTheEarliestBound() {
    Event event =
        SampleEvents.purchase().toBuilder()
            .setTimestamp(Timestamp.newBuilder().setSeconds(946_684_799L))
            .build();
    assertThat(validator.validate(event))
        .hasValueSatisfying(
            v -> {
              assertThat(v.reason()).isEqualTo(InvalidReason.TIMESTAMP_TOO_EARLY);
              assertThat(v.message()).contains("1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z");
            });
  }

  @Test
  void timestampTooFarInTheFuture() {
    long limit = NOW.instant().getEpochSecond() + 24 * 3_600;
    Event atLimit =
        SampleEvents.purchase().toBuilder()
            .setTimestamp(Timestamp.newBuilder().setSeconds(limit))
            .build();
    Event pastLimit =
        SampleEvents.purchase().toBuilder()
            .setTimestamp(Timestamp.newBuilder().setSeconds(limit).setNanos(1))
            .build();
    assertThat(reasonFor(atLimit)).isNull();
    assertThat(reasonFor(pastLimit)).isEqualTo(InvalidReason.TIMESTAMP_TOO_FAR_IN_FUTURE);
  }

  @Test
  void noAttributes() {
    assertThat(reasonFor(SampleEvents.purchase().toBuilder().clearAttributes().build()))
        .isEqualTo(InvalidReason.NO_ATTRIBUTES);
  }

  @Test
  void tooManyAttributes() {
    EventValidator strict = new EventValidator(ValidationLimits.DEFAULTS.withMaxAttributes(4), NOW);
    assertThat(strict.validate(SampleEvents.purchase()).orElseThrow().reason())
        .isEqualTo(InvalidReason.TOO_MANY_ATTRIBUTES);
  }

  @Test
  void blankAttributeKey() {
    Event event =
        SampleEvents.purchase().toBuilder().putAttributes(" ", AttributeValues.of(1L)).build();
    assertThat(reasonFor(event)).isEqualTo(InvalidReason.BLANK_ATTRIBUTE_KEY);
  }

  @Test
  void attributeKeyTooLong() {
    Event event =
        SampleEvents.purchase().toBuilder()
            .putAttributes("k".repeat(257), AttributeValues.of(1L))
            .build();
    assertThat(validator.validate(event).orElseThrow().message()).contains("257 chars");
    assertThat(reasonFor(event)).isEqualTo(InvalidReason.ATTRIBUTE_KEY_TOO_LONG);
  }

  @Test
  void attributeWithoutValue() {
    Event event =
        SampleEvents.purchase().toBuilder()
            .putAttributes("empty", AttributeValue.getDefaultInstance())
            .build();
    assertThat(validator.validate(event).orElseThrow().message()).contains("\"empty\"");
    assertThat(reasonFor(event)).isEqualTo(InvalidReason.ATTRIBUTE_VALUE_NOT_SET);
  }

  @Test
  void invalidNestedTimestamp() {
    Event event =
        SampleEvents.purchase().toBuilder()
            .putAttributes(
                "at", AttributeValues.of(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE).build()))
            .build();
    assertThat(reasonFor(event)).isEqualTo(InvalidReason.INVALID_ATTRIBUTE_TIMESTAMP);
  }

  @Test
  void invalidNestedDuration() {
    Event event =
        SampleEvents.purchase().toBuilder()
            .putAttributes(
                "d", AttributeValues.of(Duration.newBuilder().setSeconds(1).setNanos(-1).build()))
            .build();
    assertThat(reasonFor(event)).isEqualTo(InvalidReason.INVALID_ATTRIBUTE_DURATION);
  }

  @Test
  void stringsLongerThanTheLimit() {
    EventValidator strict =
        new EventValidator(ValidationLimits.DEFAULTS.withMaxStringLength(8), NOW);
    Event longType = SampleEvents.purchase().toBuilder().setType("purchase!").setId("1").build();
    Event longValue =
        SampleEvents.purchase().toBuilder()
            .setId("1")
            .setSource("s")
            .putAttributes("currency", AttributeValues.of("123456789"))
            .build();
    assertThat(strict.validate(longType).orElseThrow().reason())
        .isEqualTo(InvalidReason.STRING_TOO_LONG);
    assertThat(strict.validate(longValue).orElseThrow().message())
        .startsWith("attribute \"currency\"");
  }
}
