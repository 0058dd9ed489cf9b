package io.eventflow.collector;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per source (API key): {@code ratePerSecond} requests a second on average, bursts
 * of up to one second's worth. Time comes from an injected nanosecond source, so tests are exact.
 */
final class KeyRateLimiter {
  private final double ratePerNano;
  private final double burst;
  private final LongSupplier nanoTime;
  private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  KeyRateLimiter(double ratePerSecond, LongSupplier nanoTime) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = Math.max(1, ratePerSecond);
    this.nanoTime = nanoTime;
  }

  /** Takes one token from the key's bucket, if it has one. */
  boolean tryAcquire(String key) {
    return buckets.computeIfAbsent(key, k -> new Bucket(burst, nanoTime.getAsLong())).take();
  }

  private final class Bucket {
    private double tokens;
    private long refilledAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.refilledAt = now;
    }

    synchronized boolean take() {
      long now = nanoTime.getAsLong();
      tokens = Math.min(burst, tokens + (now - refilledAt) * ratePerNano);
      refilledAt = now;
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }
  }
}
