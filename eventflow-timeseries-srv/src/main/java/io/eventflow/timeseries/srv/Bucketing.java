package io.eventflow.timeseries.srv;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.Arrays;

/**
 * How a query cuts time into buckets: a calendar unit of a day or more, or a fixed step of whole
 * minutes up to a day.
 *
 * <p>Steps (including the MINUTE and HOUR granularities) are aligned to wall-clock time: a bucket
 * starts where the local time is a multiple of the step since local midnight, and every UTC-offset
 * change starts a new bucket too. So in America/New_York the repeated hour of the November change
 * is a bucket of its own, and on Lord Howe Island (+10:30/+11) the hour shortened by the 30-minute
 * change is a 30-minute bucket. Calendar buckets start at the first instant of a local date.
 *
 * @param unit the calendar unit, or null for a step
 * @param stepSeconds the step in seconds, or 0 for a calendar unit
 */
public record Bucketing(CalendarUnit unit, long stepSeconds) {
  /** The shortest step: rows are minutes, so a shorter bucket would split none of them. */
  public static final long MIN_STEP_SECONDS = 60;

  /** The longest step; longer periods follow the calendar (DAY, WEEK, MONTH…). */
  public static final long MAX_STEP_SECONDS = 86_400;

  /** Checks that exactly one of unit and step is set and the step is whole minutes up to a day. */
  public Bucketing {
    if ((unit == null) == (stepSeconds == 0)) {
      throw new IllegalArgumentException("exactly one of unit and step");
    }
    if (unit == null
        && (stepSeconds < MIN_STEP_SECONDS
            || stepSeconds > MAX_STEP_SECONDS
            || stepSeconds % 60 != 0)) {
      throw new IllegalArgumentException("step must be whole minutes up to a day: " + stepSeconds);
    }
  }

  /** Returns calendar bucketing. */
  public static Bucketing calendar(CalendarUnit unit) {
    return new Bucketing(unit, 0);
  }

  /** Returns fixed-step bucketing of {@code seconds}, whole minutes from one minute to a day. */
  public static Bucketing step(long seconds) {
    return new Bucketing(null, seconds);
  }

  /** Returns the canonical text of this bucketing, part of the cache key. */
  public String key() {
    return unit != null ? unit.name() : "step=" + stepSeconds;
  }

  /**
   * Returns the boundaries of the buckets that overlap {@code [start, end)} in epoch seconds: n+1
   * ascending values where bucket i is {@code [b[i], b[i+1])}, {@code b[0] <= start < b[1]} and
   * {@code b[n-1] < end <= b[n]}.
   *
   * @throws InvalidQueryException if there would be more than {@code maxBuckets} buckets
   */
  public long[] boundaries(ZoneId zone, long start, long end, int maxBuckets)
      throws InvalidQueryException {
    if (start >= end) {
      throw new IllegalArgumentException("empty range");
    }
    Boundaries out = new Boundaries(maxBuckets);
    if (unit != null) {
      LocalDate date = unit.truncate(LocalDate.ofInstant(Instant.ofEpochSecond(start), zone));
      long b = date.atStartOfDay(zone).toEpochSecond();
      out.add(b);
      while (b < end) {
        date = unit.next(date);
        b = date.atStartOfDay(zone).toEpochSecond();
        out.add(b);
      }
    } else {
      stepBoundaries(zone.getRules(), start, end, out);
    }
    return out.toArray();
  }

  private void stepBoundaries(ZoneRules rules, long start, long end, Boundaries out)
      throws InvalidQueryException {
    long step = stepSeconds;
    long offset = rules.getOffset(Instant.ofEpochSecond(start)).getTotalSeconds();
    // The offset segment containing start: [segmentStart, segmentEnd).
    ZoneOffsetTransition previous = rules.previousTransition(Instant.ofEpochSecond(start + 1));
    long segmentStart = previous == null ? Long.MIN_VALUE : previous.toEpochSecond();
    ZoneOffsetTransition next = rules.nextTransition(Instant.ofEpochSecond(start));
    long segmentEnd = next == null ? Long.MAX_VALUE : next.toEpochSecond();

    long b = Math.max(start - Math.floorMod(start + offset, step), segmentStart);
    out.add(b);
    while (b < end) {
      long aligned = b - Math.floorMod(b + offset, step) + step;
      if (segmentEnd <= aligned) {
        b = segmentEnd;
        offset = next.getOffsetAfter().getTotalSeconds();
        next = rules.nextTransition(next.getInstant());
        segmentEnd = next == null ? Long.MAX_VALUE : next.toEpochSecond();
      } else {
        b = aligned;
      }
      out.add(b);
    }
  }

  /** A growing array of boundaries that refuses to exceed the bucket limit. */
  private static final class Boundaries {
    private final int maxBuckets;
    private long[] values = new long[64];
    private int size;

    Boundaries(int maxBuckets) {
      this.maxBuckets = maxBuckets;
    }

    void add(long b) throws InvalidQueryException {
      // n buckets have n + 1 boundaries.
      if (size > maxBuckets) {
        throw new InvalidQueryException(
            "the request would return more than "
                + maxBuckets
                + " buckets: shorten the range or use a longer granularity or step");
      }
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = b;
    }

    long[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
