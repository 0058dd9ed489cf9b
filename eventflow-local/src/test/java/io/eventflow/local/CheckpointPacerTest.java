package io.eventflow.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CheckpointPacerTest {
  private static final Duration GRACE = Duration.ofSeconds(76);
  private static final Duration TICK = Duration.ofSeconds(2);

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final AtomicLong pending = new AtomicLong();
  private final List<CompletableFuture<Long>> checkpoints = new ArrayList<>();

  private CheckpointPacer pacer(boolean busy) {
    return new CheckpointPacer(
        GRACE,
        pending::get,
        () -> {
          CompletableFuture<Long> checkpoint = new CompletableFuture<>();
          checkpoints.add(checkpoint);
          return checkpoint;
        },
        clock::get,
        busy);
  }

  /** Advances the clock a tick, ticks, and completes the checkpoint it triggered, if any. */
  private void tickAndComplete(CheckpointPacer pacer) {
    clock.addAndGet(TICK.toNanos());
    pacer.tick();
    checkpoints.forEach(c -> c.complete(1L));
  }

  @Test
  void checkpointsEveryTickWhileMessagesAreUnacknowledged() {
    CheckpointPacer pacer = pacer(false);
    pending.set(5_000);
    for (int i = 0; i < 10; i++) {
      tickAndComplete(pacer);
    }
    assertThat(pacer.triggered()).isEqualTo(10);
  }

  @Test
  void goesOnThroughTheGraceAfterTheLastMessageThenStops() {
    CheckpointPacer pacer = pacer(false);
    pending.set(1);
    tickAndComplete(pacer);
    pending.set(0); // that checkpoint acknowledged the last message
    long ticksInGrace = GRACE.toNanos() / TICK.toNanos();
    for (long i = 0; i < ticksInGrace + 20; i++) {
      tickAndComplete(pacer);
    }
    // The busy tick, then one a tick while the panes and archive windows are written.
    assertThat(pacer.triggered()).isEqualTo(1 + ticksInGrace);
  }

  @Test
  void anIdleStartTakesNoCheckpointUntilAMessageWaits() {
    CheckpointPacer pacer = pacer(false);
    for (int i = 0; i < 100; i++) {
      tickAndComplete(pacer);
    }
    assertThat(pacer.triggered()).isZero();

    pending.set(1);
    tickAndComplete(pacer);
    assertThat(pacer.triggered()).isEqualTo(1);
  }

  @Test
  void aRestoredStartCheckpointsThroughTheGraceForThePanesItRestored() {
    CheckpointPacer pacer = pacer(true);
    for (int i = 0; i < 100; i++) {
      tickAndComplete(pacer);
    }
    assertThat(pacer.triggered()).isEqualTo(GRACE.toNanos() / TICK.toNanos());
  }

  @Test
  void waitsForItsCheckpointBeforeTriggeringTheNext() {
    CheckpointPacer pacer = pacer(false);
    pending.set(1);
    for (int i = 0; i < 5; i++) {
      clock.addAndGet(TICK.toNanos());
      pacer.tick();
    }
    assertThat(pacer.triggered()).isEqualTo(1);

    checkpoints.get(0).completeExceptionally(new IllegalStateException("declined"));
    clock.addAndGet(TICK.toNanos());
    pacer.tick();
    assertThat(pacer.triggered()).isEqualTo(2);
  }
}
