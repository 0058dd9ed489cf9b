package io.eventflow.collector;

import io.eventflow.common.pb.Event;
import io.eventflow.publisher.PublishedEvents;
import java.util.List;

/** Where accepted events go: Pub/Sub through {@code EventPublisher} ({@link PubSubEventSink}). */
public interface EventSink extends AutoCloseable {
  /**
   * Publishes events, filling in a missing id, timestamp or source; an event ingest would reject is
   * not sent, and named in the result.
   *
   * @return the ids of the events sent, the invalid ones with the rule each breaks, and a future
   *     done once every event sent is stored; it fails when the sink cannot take more now or could
   *     not store one
   */
  PublishedEvents publish(List<Event> events);

  /**
   * Returns the event with a missing id, timestamp or source filled in as {@link #publish} would;
   * publishing the result keeps them.
   */
  Event complete(Event event);

  /** Whether the sink is delivering: no publish has waited long without any confirmation. */
  boolean isReady();

  /** Stops the sink after waiting for its outstanding publishes. */
  @Override
  void close();
}
