package io.eventflow.enrichment;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one {@link EntityLookup}: where answers came from and what failed. Read them with
 * {@link #snapshot()}; hit rates are {@code l1Hits / keys} and so on.
 */
public final class LookupStats {
  final LongAdder keys = new LongAdder();
  final LongAdder l1Hits = new LongAdder();
  final LongAdder l2Hits = new LongAdder();
  final LongAdder l2Reads = new LongAdder();
  final LongAdder l2Failures = new LongAdder();
  final LongAdder storeKeys = new LongAdder();
  final LongAdder storeReads = new LongAdder();
  final LongAdder storeFailures = new LongAdder();
  final LongAdder staleServed = new LongAdder();
  final LongAdder unavailable = new LongAdder();
  final LongAdder waitedForOtherLoad = new LongAdder();

  /**
   * The counters at one moment.
   *
   * @param keys distinct keys looked up (per batch)
   * @param l1Hits keys answered fresh from the in-process cache
   * @param l2Hits keys answered from Redis
   * @param l2Reads Redis round trips for reads (one per batch with L1 misses)
   * @param l2Failures Redis operations that failed (Redis then skipped for its back-off)
   * @param storeKeys keys read from the store
   * @param storeReads store round trips
   * @param storeFailures store reads that failed, or were skipped during the store's back-off
   * @param staleServed keys answered with a stale entity because the store failed
   * @param unavailable keys answered with nothing because the store failed and nothing was known
   * @param waitedForOtherLoad keys another thread was already loading (single-flight)
   */
  public record Snapshot(
      long keys,
      long l1Hits,
      long l2Hits,
      long l2Reads,
      long l2Failures,
      long storeKeys,
      long storeReads,
      long storeFailures,
      long staleServed,
      long unavailable,
      long waitedForOtherLoad) {}

  /** Returns the current counts. */
  public Snapshot snapshot() {
    return new Snapshot(
        keys.sum(),
        l1Hits.sum(),
        l2Hits.sum(),
        l2Reads.sum(),
        l2Failures.sum(),
        storeKeys.sum(),
        storeReads.sum(),
        storeFailures.sum(),
        staleServed.sum(),
        unavailable.sum(),
        waitedForOtherLoad.sum());
  }
}
