package io.eventflow.timeseries.store;

/**
 * Thrown when a read did not finish within its {@link ReadLimits#timeout()}: the statement timeout
 * (H2) or the call deadline (Spanner) cancelled it.
 */
public final class StoreTimeoutException extends StoreException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception saying what timed out, with the store client's error if any. */
  public StoreTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
