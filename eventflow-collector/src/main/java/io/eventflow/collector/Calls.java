package io.eventflow.collector;

import io.eventflow.common.EventValidator;
import io.eventflow.common.Violation;
import io.eventflow.common.pb.Event;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Request/response, whatever the protocol ({@code Call} over gRPC, {@code POST /v1/call/{type}}
 * over HTTP): fills in the event as the publisher does, checks it as ingest does, routes it to a
 * processor ({@link Processors}) and, unless told not to, publishes it at the same time. The answer
 * goes out once the processor answered and Pub/Sub confirmed. An event no processor received (none
 * for its type) is answered at once and not published.
 */
final class Calls {
  private final Processors processors;
  private final Intake intake;
  private final EventSink sink;
  private final EventValidator validator;
  private final Duration defaultTimeout;
  private final Duration maxTimeout;

  Calls(
      Processors processors,
      Intake intake,
      EventSink sink,
      EventValidator validator,
      Duration defaultTimeout,
      Duration maxTimeout) {
    this.processors = processors;
    this.intake = intake;
    this.sink = sink;
    this.validator = validator;
    this.defaultTimeout = defaultTimeout;
    this.maxTimeout = maxTimeout;
  }

  /**
   * Calls a processor.
   *
   * @param timeout the caller's deadline; empty: the default (1 s); capped at the maximum
   * @param publish whether to publish the event too
   * @param source the source the API key decides; empty: the event's own or the default
   * @return a future of the answer, failed with a {@link io.grpc.StatusException}: {@code
   *     INVALID_ARGUMENT} for an event ingest would reject, {@code NOT_FOUND}, {@code
   *     DEADLINE_EXCEEDED}, {@code UNAVAILABLE} (processor gone, or Pub/Sub unavailable), {@code
   *     INTERNAL} (the processor's error)
   */
  CompletableFuture<Processors.Answer> call(
      Event event, Optional<Duration> timeout, boolean publish, Optional<String> source) {
    Event sourced = source.isPresent() ? event.toBuilder().setSource(source.get()).build() : event;
    Event completed = sink.complete(sourced);
    Optional<Violation> violation = validator.validate(completed);
    if (violation.isPresent()) {
      return CompletableFuture.failedFuture(
          Status.INVALID_ARGUMENT
              .withDescription(violation.get().reason() + ": " + violation.get().message())
              .asException());
    }
    Duration deadline = timeout.orElse(defaultTimeout);
    if (deadline.compareTo(maxTimeout) > 0) {
      deadline = maxTimeout;
    }
    CompletableFuture<Processors.Answer> answer = processors.call(completed, deadline);
    // Failed before any processor saw the event (none for its type, or the one picked had just
    // left): answer at once, without waiting for a publish, and publish nothing, so that a 404 or
    // such a 503 means nothing happened and a retry cannot count the event twice.
    if (!publish || answer.isCompletedExceptionally()) {
      return answer;
    }
    CompletableFuture<IntakeResult> published =
        intake
            .accept(List.of(Decoded.of(completed)), completed.getSerializedSize(), Optional.empty())
            .exceptionally(
                error -> {
                  Throwable cause = error.getCause() != null ? error.getCause() : error;
                  throw new java.util.concurrent.CompletionException(
                      Status.UNAVAILABLE.withDescription(cause.getMessage()).asException());
                });
    // The durable step: the answer leaves only once Pub/Sub confirmed the event too.
    return answer.thenCombine(published, (a, p) -> a);
  }
}
