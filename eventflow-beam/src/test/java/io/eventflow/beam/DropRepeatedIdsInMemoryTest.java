package io.eventflow.beam;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.beam.DropRepeatedIdsInMemory.DropFn;
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
   * An id is remembered only for the window: with an empty window it counts as new again at once,
   * while the same calls within a 10-minute window drop the repeat. (Without a clock to inject into
   * the DoFn's cache, an empty window shows the expiry without waiting for one to pass.)
   */
  @Test
  void idsAreForgottenAfterTheWindow() {
    DropFn<String> empty = fn("empty-window", Duration.ZERO);
    assertThat(empty.firstSeen("x:1")).isTrue();
    assertThat(empty.firstSeen("x:2")).isTrue();

    DropFn<String> tenMinutes = fn("ten-minute-window", Duration.standardMinutes(10));
    assertThat(tenMinutes.firstSeen("x:1")).isTrue();
    assertThat(tenMinutes.firstSeen("x:2")).isFalse();
  }
}
