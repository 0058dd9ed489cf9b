package io.eventflow.common;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Test fixtures: a typical event and jqwik generators for arbitrary valid events. */
final class Events {
  /** Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, protobuf's timestamp range. */
  static final long MIN_SECONDS = -62_135_596_800L;

  static final long MAX_SECONDS = 253_402_300_799L;

  /** Protobuf's duration range: ±10,000 years. */
  static final long MAX_DURATION_SECONDS = 315_576_000_000L;

  private Events() {}

  /** A typical ~300-byte purchase event. */
  static Event purchase() {
    return Event.newBuilder()
        .setId("0190b3a4-7c1e-7d2a-9f3e-4b5c6d7e8f90")
        .setType("purchase")
        .setSource("checkout-service")
        .setCustomer(StringValue.of("acme"))
        .setTimestamp(Timestamp.newBuilder().setSeconds(1_717_171_717L).setNanos(123_000_000))
        .putAttributes("amount", AttributeValues.of(4_999L))
        .putAttributes("discount", AttributeValues.of(0.15))
        .putAttributes("currency", AttributeValues.of("EUR"))
        .putAttributes("first_order", AttributeValues.of(true))
        .putAttributes(
            "latency", AttributeValues.of(Duration.newBuilder().setNanos(1_500_000).build()))
        .build();
  }

  /** Strings from the whole UTF-16 range, including controls, HTML characters and surrogates. */
  static Arbitrary<String> strings() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(12),
        Arbitraries.strings()
            .withChars("abc<>&='\"\\/\n\t\u2028\u2029\u0000\u007f é😀")
            .ofMaxLength(12),
        Arbitraries.strings().alpha().numeric().withChars("._-").ofMinLength(1).ofMaxLength(16));
  }

  static Arbitrary<Timestamp> timestamps() {
    return Combinators.combine(
            Arbitraries.oneOf(
                Arbitraries.longs().between(MIN_SECONDS, MAX_SECONDS),
                Arbitraries.longs().between(946_684_800L, 1_900_000_000L),
                Arbitraries.of(MIN_SECONDS, MAX_SECONDS, 0L, -1L)),
            Arbitraries.oneOf(
                Arbitraries.integers().between(0, 999_999_999),
                Arbitraries.of(0, 1_000_000, 123_000_000, 999_999_999, 1_000, 1)))
        .as((s, n) -> Timestamp.newBuilder().setSeconds(s).setNanos(n).build());
  }

  static Arbitrary<Duration> durations() {
    return Combinators.combine(
            Arbitraries.longs().between(0, MAX_DURATION_SECONDS),
            Arbitraries.integers().between(0, 999_999_999),
            Arbitraries.of(true, false))
        .as(
            (s, n, negative) ->
                negative
                    ? Duration.newBuilder().setSeconds(-s).setNanos(-n).build()
                    : Duration.newBuilder().setSeconds(s).setNanos(n).build());
  }

  static Arbitrary<Double> doubles() {
    return Arbitraries.oneOf(
        Arbitraries.doubles(),
        Arbitraries.doubles().between(-1e6, 1e6).ofScale(3),
        Arbitraries.of(
            Double.NaN,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            -0.0,
            0.0,
            Double.MIN_VALUE,
            Double.MAX_VALUE,
            -Double.MAX_VALUE,
            1e21,
            1e-7));
  }

  static Arbitrary<AttributeValue> attributeValues() {
    return Arbitraries.oneOf(
        Arbitraries.of(true, false).map(AttributeValues::of),
        Arbitraries.longs().map(AttributeValues::of),
        doubles().map(AttributeValues::of),
        strings().map(AttributeValues::of),
        Arbitraries.bytes()
            .array(byte[].class)
            .ofMaxSize(24)
            .map(b -> AttributeValues.of(ByteString.copyFrom(b))),
        timestamps().map(AttributeValues::of),
        durations().map(AttributeValues::of),
        Arbitraries.just(AttributeValue.getDefaultInstance()));
  }

  /** Arbitrary events: every field optional, every attribute kind, any strings. */
  static Arbitrary<Event> events() {
    Arbitrary<String> maybe = Arbitraries.oneOf(strings(), Arbitraries.just(""));
    return Combinators.combine(
            maybe,
            maybe,
            maybe,
            strings().optional(),
            timestamps().optional(),
            Arbitraries.maps(strings(), attributeValues()).ofMaxSize(6))
        .as(
            (id, type, source, customer, timestamp, attributes) -> {
              Event.Builder b = Event.newBuilder().setId(id).setType(type).setSource(source);
              customer.ifPresent(c -> b.setCustomer(StringValue.of(c)));
              timestamp.ifPresent(b::setTimestamp);
              return b.putAllAttributes(attributes).build();
            });
  }
}
