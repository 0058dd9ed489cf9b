package io.eventflow.timeseries.store;

import java.time.Instant;

/**
 * The length of the interval an interval row covers.
 *
 * <p>Quarter-hour rows exist because every real time-zone offset is a multiple of 15 minutes, so
 * hour, day, week, month and year buckets in any zone are exact sums of quarter-hours: a year of
 * data is 35,040 quarter-hour rows instead of 525,600 minute rows.
 */
public enum Resolution {
  /** One UTC minute. */
  MINUTE(60),
  /** One quarter of a UTC hour (:00, :15, :30, :45). */
  QUARTER_HOUR(900);

  private final long seconds;

  Resolution(long seconds) {
    this.seconds = seconds;
  }

  /** Returns the interval length in seconds; also the value stored in the resolution column. */
  public long seconds() {
    return seconds;
  }

  /** Returns the start, in epoch seconds, of the interval containing the given epoch second. */
  public long truncate(long epochSecond) {
    return Math.floorDiv(epochSecond, seconds) * seconds;
  }

  /** Returns the start of the interval containing the given instant. */
  public Instant truncate(Instant instant) {
    return Instant.ofEpochSecond(truncate(instant.getEpochSecond()));
  }

  /**
   * Returns the resolution stored as the given number of seconds.
   *
   * @throws IllegalArgumentException if no resolution has that length
   */
  public static Resolution ofSeconds(long seconds) {
    for (Resolution r : values()) {
      if (r.seconds == seconds) {
        return r;
      }
    }
    throw new IllegalArgumentException("no resolution of " + seconds + " seconds");
  }
}
