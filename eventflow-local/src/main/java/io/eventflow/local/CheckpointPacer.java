package io.eventflow.local;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints the jobs every {@code interval} while events flow, and leaves them to Flink's own
 * slow periodic checkpoint once nothing has flowed for {@code grace}.
 *
 * <p>Why: a checkpoint costs the same whether anything changed or not (every task snapshots its
 * state, the job manager writes the metadata), so at a fixed 2 s interval an idle stack spent about
 * a third of its CPU on checkpoints. Nothing is lost by pausing them: a checkpoint is what lets
 * messages be acknowledged and buffered writes go out, and while no message is unacknowledged and
 * the last panes and archive windows have been written (what {@code grace} allows for), the newest
 * checkpoint already holds everything. Flink's own timer still checkpoints at the idle interval, so
 * whatever the grace missed is written within it.
 *
 * <p>Busy means the jobs' subscription holds unacknowledged messages: published and not yet
 * delivered, or delivered and awaiting the checkpoint that acknowledges them.
 */
final class CheckpointPacer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(CheckpointPacer.class);

  private final Duration grace;
  private final LongSupplier pending;
  private final Supplier<CompletableFuture<?>> trigger;
  private final LongSupplier nanoClock;
  private final @Nullable ScheduledExecutorService timer;
  private long lastBusy;
  private @Nullable CompletableFuture<?> inFlight;
  private long triggered;

  /**
   * @param grace how long after the last unacknowledged message checkpoints go on at the busy pace
   * @param pending the unacknowledged messages of the jobs' input
   * @param trigger starts a checkpoint; its future ends when the checkpoint does
   * @param nanoClock {@link System#nanoTime}, or a test's clock
   * @param busy whether to start at the busy pace (a restored job may hold panes to write)
   */
  CheckpointPacer(
      Duration grace,
      LongSupplier pending,
      Supplier<CompletableFuture<?>> trigger,
      LongSupplier nanoClock,
      boolean busy) {
    this(grace, pending, trigger, nanoClock, busy, null);
  }

  private CheckpointPacer(
      Duration grace,
      LongSupplier pending,
      Supplier<CompletableFuture<?>> trigger,
      LongSupplier nanoClock,
      boolean busy,
      @Nullable ScheduledExecutorService timer) {
    this.grace = grace;
    this.pending = pending;
    this.trigger = trigger;
    this.nanoClock = nanoClock;
    this.timer = timer;
    long now = nanoClock.getAsLong();
    this.lastBusy = busy ? now : now - grace.toNanos() - 1;
  }

  /** Starts a pacer that looks every {@code interval}, on a daemon thread of its own. */
  static CheckpointPacer start(
      Duration interval,
      Duration grace,
      LongSupplier pending,
      Supplier<CompletableFuture<?>> trigger,
      boolean busy) {
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "eventflow-checkpoint-pacer");
              t.setDaemon(true);
              return t;
            });
    CheckpointPacer pacer =
        new CheckpointPacer(grace, pending, trigger, System::nanoTime, busy, timer);
    long millis = interval.toMillis();
    timer.scheduleAtFixedRate(pacer::tickQuietly, millis, millis, TimeUnit.MILLISECONDS);
    return pacer;
  }

  /**
   * Triggers a checkpoint when the stack is busy or was within the grace, and the previous one this
   * pacer triggered has ended.
   */
  synchronized void tick() {
    long now = nanoClock.getAsLong();
    if (pending.getAsLong() > 0) {
      lastBusy = now;
    }
    if (now - lastBusy > grace.toNanos()) {
      return;
    }
    if (inFlight != null && !inFlight.isDone()) {
      return;
    }
    triggered++;
    inFlight =
        trigger
            .get()
            .whenComplete(
                (ignored, e) -> {
                  if (e != null) {
                    // A job that is starting, restarting or stopping has no running tasks to
                    // checkpoint; the next tick tries again.
                    logger.debug("checkpoint not taken: {}", e.toString());
                  }
                });
  }

  private void tickQuietly() {
    try {
      tick();
    } catch (RuntimeException e) {
      // A failed tick must not end the schedule: the next one tries again.
      logger.warn("cannot trigger a checkpoint", e);
    }
  }

  /** How many checkpoints this pacer has triggered. */
  synchronized long triggered() {
    return triggered;
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
