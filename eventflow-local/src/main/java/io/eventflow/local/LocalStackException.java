package io.eventflow.local;

/** Thrown when the local stack cannot start; the message is one line a user can act on. */
public final class LocalStackException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a one-line message and its cause. */
  public LocalStackException(String message, Throwable cause) {
    super(message, cause);
  }
}
