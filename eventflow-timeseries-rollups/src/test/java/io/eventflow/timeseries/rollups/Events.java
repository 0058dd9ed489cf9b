package io.eventflow.timeseries.rollups;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.SampleEvents;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import java.time.Instant;

/** Builds test events. */
final class Events {
  private Events() {}

  /**
   * Returns an event of a type at an instant, with an optional customer (null for none) and an
   * attribute {@code present}.
   */
  static Event.Builder event(String id, String type, String customer, Instant at) {
    return SampleEvents.event(id, type, "test", at, customer)
        .putAttributes("present", AttributeValues.of(true));
  }

  static AttributeValue num(long v) {
    return AttributeValues.of(v);
  }

  static AttributeValue num(double v) {
    return AttributeValues.of(v);
  }
}
