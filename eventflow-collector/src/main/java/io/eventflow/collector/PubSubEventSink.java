package io.eventflow.collector;

import static com.google.common.util.concurrent.MoreExecutors.directExecutor;

import com.google.api.core.ApiFuture;
import com.google.api.gax.batching.FlowController.LimitExceededBehavior;
import io.eventflow.common.pb.Event;
import io.eventflow.publisher.EventPublisher;
import io.eventflow.publisher.PublishedEvents;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events topic, through {@link EventPublisher}: it fills in ids (UUIDv7), timestamps and the
 * default source, validates as ingest does, batches and retries.
 *
 * <p>Its flow control throws instead of blocking: the collector's handlers run on event loops, and
 * a full publisher means 503 for the client, not a stalled server. It is ready while Pub/Sub makes
 * progress: not ready when publishes are outstanding and none was confirmed for the stall time,
 * which is what an outage looks like (the client library retries them meanwhile); ready again with
 * the next confirmation of a request's events, or once the stuck publishes failed for good.
 */
public final class PubSubEventSink implements EventSink {
  private static final Logger logger = LoggerFactory.getLogger(PubSubEventSink.class);

  private final EventPublisher publisher;
  private final Duration stallTime;
  private final LongSupplier nanoTime;
  private final AtomicLong outstanding = new AtomicLong();
  private final AtomicLong lastProgressNanos;

  PubSubEventSink(EventPublisher publisher, Duration stallTime, LongSupplier nanoTime) {
    this.publisher = publisher;
    this.stallTime = stallTime;
    this.nanoTime = nanoTime;
    this.lastProgressNanos = new AtomicLong(nanoTime.getAsLong());
  }

  /**
   * Creates the sink for the collector's configuration.
   *
   * @throws IOException if the Pub/Sub client cannot be created
   */
  public static PubSubEventSink create(CollectorConfig config, Clock clock) throws IOException {
    EventPublisher.Builder builder =
        EventPublisher.newBuilder(config.eventsTopic())
            .defaultSource(config.defaultSource())
            .batching(
                EventPublisher.DEFAULT_BATCH_EVENTS,
                EventPublisher.DEFAULT_BATCH_BYTES,
                config.publishBatchDelay())
            .flowControl(
                EventPublisher.DEFAULT_MAX_OUTSTANDING_EVENTS * 10,
                Math.max(config.maxInFlightBytes(), EventPublisher.DEFAULT_MAX_OUTSTANDING_BYTES),
                LimitExceededBehavior.ThrowException)
            .closeTimeout(config.shutdownTimeout())
            .clock(clock);
    config.project().ifPresent(builder::project);
    config.emulatorHost().ifPresent(builder::emulatorHost);
    return new PubSubEventSink(builder.build(), config.acceptTimeout(), System::nanoTime);
  }

  /** Returns the topic events go to, for the startup line. */
  public String topic() {
    return publisher.topic().toString();
  }

  @Override
  public PublishedEvents publish(List<Event> events) {
    outstanding.incrementAndGet();
    PublishedEvents published;
    try {
      published = publisher.publishAll(events);
    } catch (RuntimeException e) {
      outstanding.decrementAndGet();
      throw e;
    }
    ApiFuture<Void> confirmed = published.confirmed();
    confirmed.addListener(
        () -> {
          if (!failed(confirmed)) {
            lastProgressNanos.set(nanoTime.getAsLong());
          }
          outstanding.decrementAndGet();
        },
        directExecutor());
    return published;
  }

  private static boolean failed(ApiFuture<Void> done) {
    try {
      done.get();
      return false;
    } catch (ExecutionException | InterruptedException | RuntimeException e) {
      return true;
    }
  }

  @Override
  public Event complete(Event event) {
    return publisher.complete(event);
  }

  @Override
  public boolean isReady() {
    return outstanding.get() == 0
        || nanoTime.getAsLong() - lastProgressNanos.get() < stallTime.toNanos();
  }

  @Override
  public void close() {
    try {
      publisher.close();
    } catch (IllegalStateException e) {
      logger.warn("{}", e.getMessage());
    }
  }
}
