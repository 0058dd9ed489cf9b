package io.eventflow.common;

/** Thrown when a payload is not a proto3 JSON {@link io.eventflow.common.pb.Event}. */
public final class EventJsonException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message saying what is wrong with the payload. */
  public EventJsonException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the underlying parser failure. */
  public EventJsonException(String message, Throwable cause) {
    super(message, cause);
  }
}
