package io.eventflow.publisher;

import io.eventflow.common.Violation;

/**
 * Thrown by {@link EventPublisher#publish} for an event that ingest would dead-letter, before it
 * leaves the process. The message names the rule the event breaks; {@link #violation()} carries the
 * same stable reason code ingest would write.
 */
public final class InvalidEventException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient Violation violation;

  /** Creates an exception for the first rule an event breaks. */
  public InvalidEventException(Violation violation) {
    super("invalid event: " + violation.reason() + ": " + violation.message());
    this.violation = violation;
  }

  /** Returns the rule the event breaks: its stable reason code and a description. */
  public Violation violation() {
    return violation;
  }
}
