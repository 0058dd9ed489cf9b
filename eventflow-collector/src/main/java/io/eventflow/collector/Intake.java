package io.eventflow.collector;

import static com.google.common.util.concurrent.MoreExecutors.directExecutor;

import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import io.eventflow.common.pb.Event;
import io.eventflow.publisher.PublishedEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the collector does with a request's events, whatever the protocol: sets the source the API
 * key decides, publishes every valid event (the sink fills in ids and timestamps and validates as
 * ingest does), and completes once Pub/Sub confirmed them all, with the rejected ones and their
 * reasons. Nothing here blocks: the result is a future.
 */
final class Intake {
  private final EventSink sink;
  private final InFlightBytes inFlight;
  private final Duration acceptTimeout;
  private final CollectorMetrics metrics;

  Intake(EventSink sink, InFlightBytes inFlight, Duration acceptTimeout, CollectorMetrics metrics) {
    this.sink = sink;
    this.inFlight = inFlight;
    this.acceptTimeout = acceptTimeout;
    this.metrics = metrics;
  }

  /**
   * Publishes the events among {@code decoded}.
   *
   * @param bytes the request's size, held against the in-flight bound until Pub/Sub answered
   * @param source the source the API key decides, replacing the event's own; empty: the event's, or
   *     the default source
   * @return a future of the result, done once Pub/Sub confirmed every valid event; it fails with
   *     {@link SinkUnavailableException} when the in-flight bound is reached, Pub/Sub refuses or
   *     fails a publish, or does not confirm within the accept timeout
   */
  CompletableFuture<IntakeResult> accept(
      List<Decoded> decoded, long bytes, Optional<String> source) {
    long start = System.nanoTime();
    if (!inFlight.tryAcquire(bytes)) {
      metrics.unavailable.increment();
      return CompletableFuture.failedFuture(
          new SinkUnavailableException(
              "too many events are waiting for Pub/Sub; retry later", null));
    }
    List<Rejected> rejected = new ArrayList<>();
    List<Event> events = new ArrayList<>(decoded.size());
    int[] indices = new int[decoded.size()]; // each event's position in the request
    for (int i = 0; i < decoded.size(); i++) {
      Decoded d = decoded.get(i);
      if (d.rejected() != null) {
        rejected.add(d.rejected());
        continue;
      }
      indices[events.size()] = i;
      events.add(
          source.isPresent() ? d.event().toBuilder().setSource(source.get()).build() : d.event());
    }
    // One future for all of the request's events: Pub/Sub confirmed every one, or one failed.
    CompletableFuture<Void> all = new CompletableFuture<>();
    List<String> sentIds = List.of();
    try {
      PublishedEvents published = sink.publish(events);
      sentIds = published.ids();
      published
          .invalid()
          .forEach(
              (k, e) ->
                  rejected.add(new Rejected(indices[k], e.violation().reason(), e.getMessage())));
      ApiFutures.addCallback(
          published.confirmed(),
          new ApiFutureCallback<Void>() {
            @Override
            public void onSuccess(Void ok) {
              all.complete(null);
            }

            @Override
            public void onFailure(Throwable t) {
              all.completeExceptionally(t);
            }
          },
          directExecutor());
    } catch (RuntimeException e) { // the publisher closed under us: the server is stopping
      all.completeExceptionally(e);
    }
    rejected.sort(Comparator.comparingInt(Rejected::index)); // unreadable and invalid, in order
    List<String> ids = sentIds;
    rejected.forEach(r -> metrics.rejected(r.reason()));
    // The bytes stay taken until Pub/Sub answered every publish, also after a timeout's 503.
    all.whenComplete((ok, error) -> inFlight.release(bytes));
    return all.copy()
        .orTimeout(acceptTimeout.toNanos(), TimeUnit.NANOSECONDS)
        .handle(
            (ok, error) -> {
              if (error != null) {
                metrics.unavailable.increment();
                Throwable cause = error.getCause() != null ? error.getCause() : error;
                throw new SinkUnavailableException(
                    cause instanceof TimeoutException
                        ? "Pub/Sub did not confirm within " + acceptTimeout + "; retry later"
                        : "Pub/Sub did not take the events (" + cause + "); retry later",
                    cause);
              }
              // The durable step: Pub/Sub confirmed every valid event; only now is it accepted.
              metrics.accepted(ids.size(), System.nanoTime() - start);
              return new IntakeResult(ids.size(), ids, rejected);
            });
  }
}
