package io.eventflow.timeseries.srv;

import io.eventflow.timeseries.store.StoreException;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How the services hand a call's store work to the bounded query pool and answer its failures:
 * within the call's deadline (capped by the query timeout), in the call's gRPC context (so the
 * Spanner client sees its deadline and cancellation), RESOURCE_EXHAUSTED when the pool and its
 * queue are full, UNAVAILABLE for a store failure and INTERNAL for anything unexpected, each of the
 * last two with an error id only (the detail is logged under it).
 */
final class StoreCalls {
  private static final Logger logger = Logger.getLogger(StoreCalls.class.getName());

  private final ExecutorService pool;
  private final ServerConfig.QueryLimits limits;
  private final Metrics metrics;

  /** A call's work on the pool; it answers the call itself, or throws for this class to answer. */
  @FunctionalInterface
  interface Work {
    void run(Deadline deadline) throws Exception;
  }

  /** What to answer for an exception {@link Work} threw, or null to answer it as usual. */
  @FunctionalInterface
  interface Failures {
    Status statusOf(Exception e);
  }

  StoreCalls(ExecutorService pool, ServerConfig.QueryLimits limits, Metrics metrics) {
    this.pool = pool;
    this.limits = limits;
    this.metrics = metrics;
  }

  /**
   * Runs {@code work} on the pool; exceptions {@code failures} maps are answered with its status, a
   * {@link StoreException} as UNAVAILABLE naming {@code store}, anything else as INTERNAL.
   */
  void submit(StreamObserver<?> responses, String store, Failures failures, Work work) {
    Deadline own = Deadline.after(limits.timeout().toNanos(), TimeUnit.NANOSECONDS);
    Deadline callers = Context.current().getDeadline();
    Deadline deadline = callers == null ? own : callers.minimum(own);
    Runnable task =
        Context.current()
            .wrap(
                () -> {
                  if (Context.current().isCancelled()) {
                    // The caller left (or its deadline passed) while the call waited in the queue.
                    return;
                  }
                  run(responses, store, failures, work, deadline);
                });
    try {
      pool.execute(task);
    } catch (RejectedExecutionException e) {
      metrics.rejectedBusy();
      fail(
          responses,
          Status.RESOURCE_EXHAUSTED.withDescription(
              "the query service is busy ("
                  + limits.threads()
                  + " queries running and "
                  + limits.queue()
                  + " waiting); retry with backoff"));
    }
  }

  private static void run(
      StreamObserver<?> responses, String store, Failures failures, Work work, Deadline deadline) {
    try {
      work.run(deadline);
    } catch (Throwable e) {
      Status status = e instanceof Exception ex ? failures.statusOf(ex) : null;
      if (status != null) {
        fail(responses, status);
      } else if (e instanceof StoreException) {
        String id = errorId();
        logger.log(Level.WARNING, store + " failed (error id " + id + ")", e);
        fail(
            responses,
            Status.UNAVAILABLE.withDescription(
                "the " + store + " is unavailable (error id " + id + "); retry with backoff"));
      } else if (Context.current().isCancelled()) {
        // The caller left or its deadline passed while we answered: grpc-java refuses the answer.
        logger.log(Level.FINE, "call cancelled before it could be answered", e);
      } else {
        // Errors too: the caller gets an answer now rather than waiting for its deadline.
        String id = errorId();
        logger.log(Level.SEVERE, "call failed unexpectedly (error id " + id + ")", e);
        fail(
            responses,
            Status.INTERNAL.withDescription(
                "internal error (error id " + id + "); the server log has the details"));
        if (e instanceof VirtualMachineError vm) {
          throw vm;
        }
      }
    }
  }

  /** Returns the time left before {@code deadline}: the timeout of a store read made now. */
  static Duration timeLeft(Deadline deadline) {
    return Duration.ofNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS));
  }

  /** A short random id: enough to find one log line among a day's. */
  private static String errorId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** Answers the call with a status, unless the caller already left. */
  static void fail(StreamObserver<?> responses, Status status) {
    try {
      responses.onError(status.asRuntimeException());
    } catch (RuntimeException e) {
      // The call was already cancelled (the client left): there is no one to answer.
      logger.log(Level.FINE, "could not answer a cancelled call with " + status, e);
    }
  }
}
