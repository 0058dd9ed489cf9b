package io.eventflow.timeseries.rollups;

import com.google.protobuf.StringValue;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import java.time.Instant;

/** Builds test events. */
final class Events {
  private Events() {}

  /** Returns an event of a type at an instant, with an optional customer (null for none). */
  static Event.Builder event(String id, String type, String customer, Instant at) {
    Event.Builder b =
        Event.newBuilder()
            .setId(id)
            .setType(type)
            .setSource("test")
            .setTimestamp(Timestamps.fromMillis(at.toEpochMilli()))
            .putAttributes("present", AttributeValues.of(true));
    if (customer != null) {
      b.setCustomer(StringValue.of(customer));
    }
    return b;
  }

  static AttributeValue num(long v) {
    return AttributeValues.of(v);
  }

  static AttributeValue num(double v) {
    return AttributeValues.of(v);
  }
}
