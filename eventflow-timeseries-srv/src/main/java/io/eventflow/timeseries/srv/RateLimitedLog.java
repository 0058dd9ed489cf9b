package io.eventflow.timeseries.srv;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs failures that the server absorbs (Redis timeouts, a corrupt cached value) at most once per
 * interval per kind, with how many of that kind were not logged since: a sick Redis fails every
 * query, and one line per query would bury the log. The first of each kind is always logged.
 */
final class RateLimitedLog {
  private final Logger logger;
  private final Clock clock;
  private final long intervalMillis;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  private static final class Window {
    volatile long nextMillis = Long.MIN_VALUE;
    final AtomicLong suppressed = new AtomicLong();
  }

  RateLimitedLog(Logger logger, Clock clock, Duration interval) {
    this.logger = logger;
    this.clock = clock;
    this.intervalMillis = interval.toMillis();
  }

  /**
   * Logs {@code message} with the kind and the exception's class and message, unless a message of
   * this kind was logged less than the interval ago; then only counts it.
   */
  void log(Level level, String kind, String message, Throwable e) {
    Window w = windows.computeIfAbsent(kind, k -> new Window());
    long now = clock.millis();
    synchronized (w) {
      if (now < w.nextMillis) {
        w.suppressed.incrementAndGet();
        return;
      }
      w.nextMillis = now + intervalMillis;
    }
    long skipped = w.suppressed.getAndSet(0);
    logger.log(
        level,
        "["
            + kind
            + "] "
            + message
            + (e == null ? "" : ": " + e.getClass().getName() + ": " + e.getMessage())
            + (skipped == 0 ? "" : " (" + skipped + " more of this kind not logged)"));
  }
}
