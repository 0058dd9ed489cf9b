package io.eventflow.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits in a test until a condition holds, with a deadline that is a bound for a broken build,
 * never a timing assertion: the conditions waited for hold within a second or two.
 */
public final class Await {
  /** The default bound: 60 s, far above what a loaded 2-core machine needs. */
  public static final Duration DEFAULT_BOUND = Duration.ofSeconds(60);

  private Await() {}

  /** A condition that may throw while it is checked (a pull, a job's counters). */
  public interface Check {
    /** Returns whether the awaited condition holds now. */
    boolean holds() throws Exception;
  }

  /**
   * Polls {@code condition} every 20 ms until it holds.
   *
   * @param what the condition in words, for the failure message ("the bridge is ready")
   * @throws AssertionError naming {@code what} if it does not hold within {@link #DEFAULT_BOUND}
   */
  public static void until(String what, BooleanSupplier condition) throws InterruptedException {
    until(what, DEFAULT_BOUND, condition);
  }

  /**
   * Polls {@code condition} every 20 ms until it holds, at most {@code bound}.
   *
   * @throws AssertionError naming {@code what} if it does not hold in time
   */
  public static void until(String what, Duration bound, BooleanSupplier condition)
      throws InterruptedException {
    try {
      untilHolds(what, bound, condition::getAsBoolean);
    } catch (InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("a BooleanSupplier threw a checked exception", e);
    }
  }

  /**
   * Checks {@code check} every 20 ms until it holds, at most {@code bound}; unlike {@link
   * #until(String, Duration, BooleanSupplier)} the check may do work that throws (pull and collect
   * messages, read a running job's counters), and what it throws fails the wait at once.
   *
   * @throws AssertionError naming {@code what} if it does not hold in time
   */
  public static void untilHolds(String what, Duration bound, Check check) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after " + bound.toSeconds() + " s waiting until " + what);
      }
      Thread.sleep(20);
    }
  }
}
