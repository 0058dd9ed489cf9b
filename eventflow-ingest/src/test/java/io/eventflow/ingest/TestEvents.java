package io.eventflow.ingest;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.SampleEvents;
import io.eventflow.common.pb.Event;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/** Shared fixtures: a fixed clock, well-formed events and the messages that carry them. */
final class TestEvents {
  /** "Now" in every test. */
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private TestEvents() {}

  /** A valid purchase event with the given id, an hour before {@link #NOW}. */
  static Event.Builder event(String id) {
    return SampleEvents.event(
            id, "purchase", "checkout-service", NOW.minusSeconds(3600), "customer-7")
        .putAttributes("amount_cents", AttributeValues.of(1299L))
        .putAttributes("currency", AttributeValues.of("EUR"));
  }

  /** The attributes a publisher sets for an event sent as the given content type. */
  static Map<String, String> attributes(Event event, ContentType contentType) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put(MessageAttributes.ID, event.getId());
    attributes.put(MessageAttributes.TYPE, event.getType());
    attributes.put(MessageAttributes.SOURCE, event.getSource());
    attributes.put(MessageAttributes.CONTENT_TYPE, contentType.mimeType());
    return attributes;
  }

  /** The payload of an event in the given content type. */
  static byte[] payload(Event event, ContentType contentType) {
    return contentType == ContentType.JSON ? EventJson.printBytes(event) : event.toByteArray();
  }
}
