package io.eventflow.timeseries.store;

/**
 * How the partial values of a series combine: the series' native function. Counts are sums of
 * per-pane counts.
 */
public enum AggregateFunction {
  /** Values add up. */
  SUM,
  /** The smallest value wins. */
  MIN,
  /** The largest value wins. */
  MAX;

  /** Combines two partial values of a series with this function. */
  public double combine(double a, double b) {
    return switch (this) {
      case SUM -> a + b;
      case MIN -> Math.min(a, b);
      case MAX -> Math.max(a, b);
    };
  }
}
