package io.eventflow.collector;

/** Pub/Sub cannot take a request's events now: the client should retry after a while (503). */
public final class SinkUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with what is unavailable, for the response body. */
  public SinkUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
