package io.eventflow.timeseries.srv;

/**
 * Thrown when a request cannot be answered as asked; its message is the user-facing description.
 */
public final class InvalidQueryException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates an exception whose message tells the caller what to change. */
  public InvalidQueryException(String message) {
    super(message);
  }
}
