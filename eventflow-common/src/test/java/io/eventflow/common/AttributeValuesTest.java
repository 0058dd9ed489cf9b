package io.eventflow.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class AttributeValuesTest {
  @Test
  void textFormsAreWhatProto3JsonShowsWithoutQuotes() {
    assertThat(AttributeValues.toText(AttributeValues.of("gold"))).isEqualTo("gold");
    assertThat(AttributeValues.toText(AttributeValues.of(-12L))).isEqualTo("-12");
    assertThat(AttributeValues.toText(AttributeValues.of(1.5))).isEqualTo("1.5");
    assertThat(AttributeValues.toText(AttributeValues.of(true))).isEqualTo("true");
    assertThat(
            AttributeValues.toText(
                AttributeValues.of(com.google.protobuf.ByteString.copyFromUtf8("hi"))))
        .isEqualTo("aGk=");
    assertThat(
            AttributeValues.toText(
                AttributeValues.of(com.google.protobuf.util.Timestamps.fromSeconds(0))))
        .isEqualTo("1970-01-01T00:00:00Z");
    assertThat(
            AttributeValues.toText(
                AttributeValues.of(com.google.protobuf.util.Durations.fromMillis(1500))))
        .isEqualTo("1.500s");
    assertThat(AttributeValues.toText(io.eventflow.common.pb.AttributeValue.getDefaultInstance()))
        .isEmpty();
  }

  @Test
  void numericValuesOfIntsDoublesAndDurations() {
    assertThat(AttributeValues.numericValue(AttributeValues.of(42L))).hasValue(42.0);
    assertThat(AttributeValues.numericValue(AttributeValues.of(2.5))).hasValue(2.5);
    assertThat(
            AttributeValues.numericValue(
                AttributeValues.of(
                    Duration.newBuilder().setSeconds(2).setNanos(1_500_999).build())))
        .hasValue(2_001_500.0);
  }

  @Test
  void noNumericValueForOtherKinds() {
    assertThat(AttributeValues.numericValue(AttributeValues.of("42")))
        .isEqualTo(OptionalDouble.empty());
    assertThat(AttributeValues.numericValue(AttributeValues.of(true))).isEmpty();
    assertThat(AttributeValues.numericValue(AttributeValues.of(ByteString.EMPTY))).isEmpty();
    assertThat(AttributeValues.numericValue(AttributeValues.of(Timestamp.getDefaultInstance())))
        .isEmpty();
    assertThat(AttributeValues.isNumeric(AttributeValues.of("1"))).isFalse();
    assertThat(AttributeValues.isNumeric(AttributeValues.of(1L))).isTrue();
  }

  @Test
  void negativeDurationsTruncateTowardZero() {
    Duration d = Duration.newBuilder().setSeconds(-1).setNanos(-999).build();
    assertThat(AttributeValues.toMicros(d)).isEqualTo(-1_000_000L);
  }

  @Test
  void overflowingDurationsFailLoudly() {
    Duration d = Duration.newBuilder().setSeconds(Long.MAX_VALUE).build();
    assertThatThrownBy(() -> AttributeValues.toMicros(d)).isInstanceOf(ArithmeticException.class);
  }
}
