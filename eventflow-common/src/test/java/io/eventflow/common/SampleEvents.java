package io.eventflow.common;

import com.google.protobuf.Duration;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import io.eventflow.common.pb.Event;
import java.time.Instant;

/**
 * Events the tests of every module build: a typical purchase, and an event with the fields most
 * tests set (id, type, source, time, customer), to which a test adds the attributes it is about.
 * Other modules get it from this module's test-jar; random events for property tests are in {@code
 * Events}.
 */
public final class SampleEvents {
  private SampleEvents() {}

  /** A typical ~300-byte purchase event, the same every call. */
  public static Event purchase() {
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

  /**
   * Returns a builder of an event with these fields and no attributes, timestamped {@code at} to
   * the nanosecond, with {@code customer} unless it is null.
   */
  public static Event.Builder event(
      String id, String type, String source, Instant at, String customer) {
    Event.Builder event =
        Event.newBuilder().setId(id).setType(type).setSource(source).setTimestamp(timestamp(at));
    if (customer != null) {
      event.setCustomer(StringValue.of(customer));
    }
    return event;
  }

  /** Returns {@code at} as a protobuf timestamp, to the nanosecond. */
  public static Timestamp timestamp(Instant at) {
    return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }
}
