package io.eventflow.collector;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the request bytes whose events Pub/Sub has not yet answered. A request takes its size
 * before publishing and gives it back once every publish of it is answered, also when its client
 * was already told 503, so a Pub/Sub outage fills the budget and later requests are refused at once
 * instead of piling up.
 */
final class InFlightBytes {
  private final long max;
  private final AtomicLong used = new AtomicLong();

  InFlightBytes(long max) {
    this.max = max;
  }

  /** Takes {@code bytes} if they fit under the bound. */
  boolean tryAcquire(long bytes) {
    while (true) {
      long current = used.get();
      if (current + bytes > max) {
        return false;
      }
      if (used.compareAndSet(current, current + bytes)) {
        return true;
      }
    }
  }

  /** Gives back what {@link #tryAcquire} took. */
  void release(long bytes) {
    used.addAndGet(-bytes);
  }

  /** Returns the bytes taken now. */
  long used() {
    return used.get();
  }
}
