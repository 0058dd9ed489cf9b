package io.eventflow.benchmarks;

import com.google.protobuf.Duration;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;

/** The events benchmarks work on: shapes like production traffic, fixed so runs compare. */
public final class SampleEvents {
  private SampleEvents() {}

  /**
   * A ~300-byte purchase event in JSON (8 attributes of every numeric kind, a customer, a
   * millisecond timestamp), the size the ingest targets are stated for.
   */
  public static Event purchase() {
    return Event.newBuilder()
        .setId("0190b3a4-7c1e-7d2a-9f3e-4b5c6d7e8f90")
        .setType("purchase")
        .setSource("checkout-service")
        .setCustomer(StringValue.of("acme"))
        .setTimestamp(Timestamp.newBuilder().setSeconds(1_717_171_717L).setNanos(123_000_000))
        .putAttributes("amount", AttributeValues.of(4_999L))
        .putAttributes("items", AttributeValues.of(3L))
        .putAttributes("discount", AttributeValues.of(0.15))
        .putAttributes("currency", AttributeValues.of("EUR"))
        .putAttributes("first_order", AttributeValues.of(true))
        .putAttributes("country", AttributeValues.of("DE"))
        .putAttributes(
            "latency", AttributeValues.of(Duration.newBuilder().setNanos(1_500_000).build()))
        .build();
  }
}
