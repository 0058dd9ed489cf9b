package io.eventflow.timeseries.store;

import java.time.Duration;

/**
 * Bounds on one interval read: how many rows it may return and how long it may take.
 *
 * @param maxRows the most rows the read may return; a read that finds more stops at {@code maxRows
 *     + 1} and throws {@link RowLimitException}
 * @param timeout how long the read may take, or null for no limit of its own; zero or negative
 *     fails at once with {@link StoreTimeoutException}
 */
public record ReadLimits(int maxRows, Duration timeout) {
  /** No row cap and no timeout: for tools and tests that read what they wrote. */
  public static final ReadLimits NONE = new ReadLimits(Integer.MAX_VALUE, null);

  /** Checks the row cap. */
  public ReadLimits {
    if (maxRows < 0) {
      throw new IllegalArgumentException("maxRows must not be negative: " + maxRows);
    }
  }

  /** Returns the SQL {@code LIMIT}: one row past the cap says the cap was exceeded. */
  public long sqlLimit() {
    return (long) maxRows + 1;
  }

  /**
   * Returns the timeout, failing at once if none is left.
   *
   * @throws StoreTimeoutException if the timeout is zero or negative
   */
  public Duration remaining(String what) throws StoreTimeoutException {
    return remaining(timeout, what);
  }

  /**
   * Returns {@code timeout} (null for none), failing at once if none is left: the check every store
   * read with a timeout makes before it starts.
   *
   * @throws StoreTimeoutException if the timeout is zero or negative
   */
  public static Duration remaining(Duration timeout, String what) throws StoreTimeoutException {
    if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
      throw new StoreTimeoutException("no time left to read " + what, null);
    }
    return timeout;
  }
}
