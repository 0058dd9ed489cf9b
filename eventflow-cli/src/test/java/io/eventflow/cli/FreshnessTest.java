package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Matching publish confirmations to polled counts. */
class FreshnessTest {
  private static final long S = 1_000_000_000L;

  /**
   * Four events confirmed at 0, 1, 2 and 3 s (in any order); polls at 2 s (count 1), 5 s (count 3)
   * and 9 s (count 4): the events became visible at 2, 5, 5 and 9 s.
   */
  @Test
  void theKthConfirmedEventIsVisibleAtTheFirstPollCountingK() {
    Freshness freshness =
        Freshness.of(
            new long[] {3 * S, 0, 2 * S, 1 * S},
            new long[] {2 * S, 5 * S, 9 * S},
            new long[] {1, 3, 4});

    // Latencies: 2, 4, 3, 6 s.
    assertThat(freshness.seen()).isEqualTo(4);
    assertThat(freshness.missing()).isZero();
    assertThat(freshness.quantileNanos(0.5)).isEqualTo(3 * S);
    assertThat(freshness.quantileNanos(0.75)).isEqualTo(4 * S);
    assertThat(freshness.quantileNanos(1.0)).isEqualTo(6 * S);
    assertThat(freshness.quantileNanos(0.0)).isEqualTo(2 * S);
  }

  @Test
  void eventsNeverCountedAreMissing() {
    Freshness freshness =
        Freshness.of(new long[] {0, S, 2 * S}, new long[] {5 * S}, new long[] {2});

    assertThat(freshness.seen()).isEqualTo(2);
    assertThat(freshness.missing()).isEqualTo(1);
    assertThat(Freshness.of(new long[] {0}, new long[0], new long[0]).quantileNanos(0.5))
        .isEqualTo(-1);
  }
}
