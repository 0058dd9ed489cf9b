package io.eventflow.mqtt;

import io.eventflow.common.pb.Event;
import io.eventflow.ingest.pb.InvalidMessage;

/** What {@link EventMapper} made of a device message: an event to publish, or a dead letter. */
public sealed interface Mapped {
  /** A valid event, ready for the events topic. */
  record ToEvents(Event event) implements Mapped {}

  /** A message that is no valid event, with the original bytes and the reason. */
  record ToDeadLetters(InvalidMessage deadLetter) implements Mapped {}
}
