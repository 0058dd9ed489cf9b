package io.eventflow.collector;

import io.eventflow.common.pb.InvalidReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The collector's own Prometheus metrics; Armeria adds per-route request metrics ({@code
 * eventflow_collector_http_*}) and gRPC ones.
 *
 * <ul>
 *   <li>{@code eventflow_collector_events_accepted_total}: events Pub/Sub confirmed
 *   <li>{@code eventflow_collector_events_rejected_total{reason}}: events not published, by reason
 *   <li>{@code eventflow_collector_unavailable_total}: requests answered 503 (UNAVAILABLE)
 *   <li>{@code eventflow_collector_accept_latency_seconds}: request decoded to Pub/Sub's
 *       confirmation, p50/p99
 *   <li>{@code eventflow_collector_in_flight_bytes}: request bytes awaiting Pub/Sub
 *   <li>{@code eventflow_collector_calls_total{result}}: processor calls by outcome
 *   <li>{@code eventflow_collector_late_responses_total}: processor answers after their deadline,
 *       dropped
 *   <li>{@code eventflow_collector_processors}: connected processors
 * </ul>
 */
final class CollectorMetrics {
  final Counter accepted;
  final Counter unavailable;
  final Counter lateResponses;
  final Timer acceptLatency;
  private final Map<InvalidReason, Counter> rejected = new EnumMap<>(InvalidReason.class);
  private final Map<String, Counter> calls = new java.util.concurrent.ConcurrentHashMap<>();
  private final MeterRegistry registry;

  CollectorMetrics(MeterRegistry registry, LongSupplier inFlightBytes) {
    this.registry = registry;
    accepted = Counter.builder("eventflow.collector.events.accepted").register(registry);
    unavailable = Counter.builder("eventflow.collector.unavailable").register(registry);
    lateResponses = Counter.builder("eventflow.collector.late.responses").register(registry);
    acceptLatency =
        Timer.builder("eventflow.collector.accept.latency")
            .description("from a decoded request to Pub/Sub's confirmation of all its events")
            .publishPercentiles(0.5, 0.99)
            // Percentiles over the last minute, in 3 rotating buckets: what an operator looks at.
            .distributionStatisticExpiry(Duration.ofMinutes(1))
            .distributionStatisticBufferLength(3)
            .register(registry);
    Gauge.builder("eventflow.collector.in.flight.bytes", inFlightBytes::getAsLong)
        .baseUnit("bytes")
        .register(registry);
  }

  /** Registers the gauge of connected processors. */
  void processors(LongSupplier count) {
    Gauge.builder("eventflow.collector.processors", count::getAsLong).register(registry);
  }

  /** Counts a request's confirmed events and records its accept latency. */
  void accepted(int events, long nanos) {
    accepted.increment(events);
    acceptLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Counts an event not published. */
  void rejected(InvalidReason reason) {
    Counter counter;
    synchronized (rejected) {
      counter =
          rejected.computeIfAbsent(
              reason,
              r ->
                  Counter.builder("eventflow.collector.events.rejected")
                      .tag("reason", r.name())
                      .register(registry));
    }
    counter.increment();
  }

  /** Counts a processor call by its outcome (a gRPC status code name, or {@code OK}). */
  void call(String result) {
    calls
        .computeIfAbsent(
            result,
            r -> Counter.builder("eventflow.collector.calls").tag("result", r).register(registry))
        .increment();
  }
}
