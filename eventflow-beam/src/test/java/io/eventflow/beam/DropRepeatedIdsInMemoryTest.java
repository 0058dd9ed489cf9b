package io.eventflow.beam;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.beam.DropRepeatedIdsInMemory.DropFn;
import io.eventflow.testing.ManualClock;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

/** The in-memory dedup's DoFn, called directly (BatchedGrpcPipelineTest runs it in a job). */
class DropRepeatedIdsInMemoryTest {
  private static DropFn<String> fn(String cacheId, Duration window) {
    DropFn<String> fn = new DropFn<>(s -> s.substring(0, s.indexOf(':')), window, cacheId);
    fn.setup();
    return fn;
  }

  /** Copies of one transform's DoFn (one per runner thread) share what they have seen. */
  @Test
  void copiesOfOneTransformShareTheIdsTheySaw() {
    DropFn<String> a = fn("transform-1", Duration.standardMinutes(10));
    DropFn<String> b = fn("transform-1", Duration.standardMinutes(10));

    assertThat(a.firstSeen("x:first")).isTrue();
    assertThat(b.firstSeen("x:again")).isFalse();
    assertThat(b.firstSeen("y:first")).isTrue();
    assertThat(a.firstSeen("y:again")).isFalse();
  }

  /** Two transforms (ingest's and rollups' in one JVM) do not see each other's ids. */
  @Test
  void transformsDoNotShareIds() {
    assertThat(fn("ingest", Duration.standardMinutes(10)).firstSeen("x:1")).isTrue();
    assertThat(fn("rollups", Duration.standardMinutes(10)).firstSeen("x:1")).isTrue();
  }

  /**
   * An id is remembered for exactly the window: a repeat one nanosecond before it ends is dropped,
   * the same id after it is new again (the cache's clock is the test's).
   */
  @Test
  void idsAreForgottenAfterTheWindow() {
    ManualClock clock = new ManualClock(java.time.Instant.parse("2026-01-01T00:00:00Z"));
    Duration window = Duration.standardMinutes(10);
    DropFn<String> fn =
        new DropFn<>(
            s -> s.substring(0, s.indexOf(':')), window, "ticking-window", clock::nanoTime);
    fn.setup();

    assertThat(fn.firstSeen("x:1")).isTrue();
    clock.advance(java.time.Duration.ofMillis(window.getMillis()).minusNanos(1));
    assertThat(fn.firstSeen("x:2")).isFalse();
    clock.advance(java.time.Duration.ofNanos(1));
    assertThat(fn.firstSeen("x:3")).isTrue();
    assertThat(fn.firstSeen("x:4")).isFalse();
  }
}
