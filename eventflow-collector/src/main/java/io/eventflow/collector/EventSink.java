package io.eventflow.collector;

import io.eventflow.common.pb.Event;
import io.eventflow.publisher.InvalidEventException;
import java.util.concurrent.CompletableFuture;

/** Where accepted events go: Pub/Sub through {@code EventPublisher} ({@link PubSubEventSink}). */
public interface EventSink extends AutoCloseable {
  /**
   * Publishes an event, filling in a missing id, timestamp or source.
   *
   * @return a future of the event's id, done once the event is stored; it fails when the sink
   *     cannot take more now or could not store it
   * @throws InvalidEventException if ingest would reject the event, naming the rule
   */
  CompletableFuture<String> publish(Event event);

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
