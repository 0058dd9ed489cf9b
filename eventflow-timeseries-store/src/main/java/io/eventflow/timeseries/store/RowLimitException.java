package io.eventflow.timeseries.store;

/** Thrown when a read finds more rows than its {@link ReadLimits#maxRows()}. */
public final class RowLimitException extends StoreException {
  private static final long serialVersionUID = 1L;

  private final int maxRows;

  /** Creates an exception for a read of {@code what} that exceeded {@code maxRows}. */
  public RowLimitException(String what, int maxRows) {
    super("reading " + what + " would return more than " + maxRows + " rows", null);
    this.maxRows = maxRows;
  }

  /** Returns the cap the read exceeded. */
  public int maxRows() {
    return maxRows;
  }
}
