package io.eventflow.publisher;

import com.google.api.core.AbstractApiFuture;
import com.google.api.core.ApiFuture;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Events handed to Pub/Sub together by {@link EventPublisher#publishAll}: the id of every event
 * sent, why each other one was not sent, and one future for the confirmation of them all.
 *
 * <p>One future for the group instead of one per event: in the collector's profile at ~240,000
 * events/s the per-event futures and callbacks were 9% of the samples (docs/BENCHMARKS.md, "The
 * batch path's CPU").
 */
public final class PublishedEvents {
  private final List<String> ids;
  private final Map<Integer, InvalidEventException> invalid;
  private final ApiFuture<Void> confirmed;

  PublishedEvents(
      List<String> ids, Map<Integer, InvalidEventException> invalid, ApiFuture<Void> confirmed) {
    this.ids = List.copyOf(ids);
    this.invalid = Map.copyOf(invalid);
    this.confirmed = confirmed;
  }

  /** Returns the ids of the events sent, in the order they were given. */
  public List<String> ids() {
    return ids;
  }

  /**
   * Returns the events not sent because ingest would reject them: their positions in the list given
   * to {@link EventPublisher#publishAll}, each with the rule it breaks.
   */
  public Map<Integer, InvalidEventException> invalid() {
    return invalid;
  }

  /**
   * Returns a future done once Pub/Sub confirmed every event sent; if any could not be published
   * within the publish timeout it fails with the first such failure, once every event sent was
   * answered.
   */
  public ApiFuture<Void> confirmed() {
    return confirmed;
  }

  /**
   * Done once every one of a number of publishes was answered: failed with the first failure if any
   * failed.
   */
  static final class Confirmation extends AbstractApiFuture<Void> {
    private final AtomicInteger unanswered;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Runnable onDone;

    /**
     * @param publishes the publishes to wait for
     * @param onDone runs once the future is done
     */
    Confirmation(int publishes, Runnable onDone) {
      this.unanswered = new AtomicInteger(publishes);
      this.onDone = onDone;
      if (publishes == 0) {
        finish();
      }
    }

    /** Counts the answer of a publish whose future is done. */
    void answered(ApiFuture<?> publish) {
      try {
        publish.get();
      } catch (ExecutionException e) {
        failure.compareAndSet(null, e.getCause());
      } catch (InterruptedException | RuntimeException e) { // not thrown: the future is done
        failure.compareAndSet(null, e);
      }
      countDown(1);
    }

    /** Counts publishes that were never sent, failing with {@code cause}. */
    void notSent(int publishes, Throwable cause) {
      failure.compareAndSet(null, cause);
      countDown(publishes);
    }

    private void countDown(int publishes) {
      if (unanswered.addAndGet(-publishes) == 0) {
        finish();
      }
    }

    private void finish() {
      Throwable cause = failure.get();
      if (cause == null) {
        set(null);
      } else {
        setException(cause);
      }
      onDone.run();
    }
  }
}
