package io.eventflow.timeseries.store;

/**
 * Thrown when the interval store cannot be reached or fails a read or write. Subclasses say a read
 * went past its limits: {@link RowLimitException}, {@link StoreTimeoutException}.
 */
public class StoreException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates an exception saying what failed, with the store client's error. */
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
