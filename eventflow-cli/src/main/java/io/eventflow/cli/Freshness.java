package io.eventflow.cli;

import java.util.Arrays;

/**
 * How long events took from published to queryable, from two curves: when each event's publish was
 * confirmed, and how many events a query counted at each poll. The k-th event confirmed is taken to
 * be visible at the first poll that counts at least k events (first in, first out: the pipeline
 * keeps no order, so a single event may differ, but the distribution holds).
 */
final class Freshness {
  private final long[] latencies;
  private final int missing;

  private Freshness(long[] latencies, int missing) {
    this.latencies = latencies;
    this.missing = missing;
  }

  /**
   * Matches publish confirmations to polls.
   *
   * @param publishedNanos when each event's publish was confirmed, in any order
   * @param pollNanos the time of each poll, ascending
   * @param visible the count each poll returned, same length as {@code pollNanos}
   */
  static Freshness of(long[] publishedNanos, long[] pollNanos, long[] visible) {
    if (pollNanos.length != visible.length) {
      throw new IllegalArgumentException("one count per poll");
    }
    long[] published = publishedNanos.clone();
    Arrays.sort(published);
    long[] latencies = new long[published.length];
    int found = 0;
    int poll = 0;
    for (int k = 0; k < published.length; k++) {
      while (poll < visible.length && visible[poll] < k + 1) {
        poll++;
      }
      if (poll == visible.length) {
        break;
      }
      latencies[found++] = Math.max(0, pollNanos[poll] - published[k]);
    }
    long[] sorted = Arrays.copyOf(latencies, found);
    Arrays.sort(sorted);
    return new Freshness(sorted, published.length - found);
  }

  /** Events confirmed but never seen by a poll. */
  int missing() {
    return missing;
  }

  /** Events seen. */
  int seen() {
    return latencies.length;
  }

  /** The latency at quantile {@code q} (0 to 1) in nanoseconds, nearest rank; -1 if none. */
  long quantileNanos(double q) {
    if (latencies.length == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(q * latencies.length);
    return latencies[Math.min(latencies.length - 1, Math.max(0, rank - 1))];
  }
}
