package io.eventflow.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A UTC clock that stands still until a test moves it, so that deadlines, leases, expiries and rate
 * limits happen exactly when the test says and never because the machine was slow. Code timed by a
 * nanosecond ticker rather than a {@link Clock} reads {@link #nanoTime()}. Safe to read from other
 * threads: the current instant is volatile.
 */
public final class ManualClock extends Clock {
  private volatile Instant now;

  /** Returns a clock standing at {@code start}. */
  public ManualClock(Instant start) {
    this.now = start;
  }

  /** Moves the clock forward (or, with a negative duration, back) by {@code duration}. */
  public void advance(Duration duration) {
    now = now.plus(duration);
  }

  /** Sets the clock to {@code instant}, which may be earlier than the current one. */
  public void set(Instant instant) {
    now = instant;
  }

  /**
   * Returns the current instant in nanoseconds since the epoch, for code that reads a nanosecond
   * ticker instead of a clock ({@code clock::nanoTime} is a Caffeine {@code Ticker} or a {@code
   * LongSupplier}), so that it moves exactly when {@link #advance} or {@link #set} moves the clock.
   * Fails for instants a long cannot count in nanoseconds (before 1677 or after 2262).
   */
  public long nanoTime() {
    Instant instant = now;
    return Math.addExact(
        Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public long millis() {
    return now.toEpochMilli();
  }

  /** Returns UTC: the clock has no zone of its own. */
  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  /** Returns this clock: the code under test reads instants, not local times. */
  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
