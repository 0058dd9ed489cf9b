package io.eventflow.mqtt;

import io.eventflow.common.pb.InvalidReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The bridge's Prometheus metrics. Every message received is, in the end, acknowledged or
 * redelivered; every acknowledged one was published as an event or dead-lettered.
 *
 * <ul>
 *   <li>{@code eventflow_mqtt_received_total}: messages taken from the MQTT broker
 *   <li>{@code eventflow_mqtt_published_total}: events Pub/Sub confirmed
 *   <li>{@code eventflow_mqtt_dead_lettered_total{reason}}: dead letters Pub/Sub confirmed
 *   <li>{@code eventflow_mqtt_acked_total}: PUBACKs sent
 *   <li>{@code eventflow_mqtt_publish_failures_total}: publishes that failed for good (the bridge
 *       reconnected for a redelivery)
 *   <li>{@code eventflow_mqtt_reconnects_total}: connections after the first
 *   <li>{@code eventflow_mqtt_in_flight}: received, not yet acknowledged
 *   <li>{@code eventflow_mqtt_ready}: 1 while connected and subscribed
 *   <li>{@code eventflow_mqtt_ack_latency_seconds}: receipt to PUBACK, with p50/p99
 * </ul>
 */
final class BridgeMetrics {
  final Counter received;
  final Counter published;
  final Counter acked;
  final Counter publishFailures;
  final Counter reconnects;
  final Timer ackLatency;
  private final Map<InvalidReason, Counter> deadLettered = new EnumMap<>(InvalidReason.class);
  private final MeterRegistry registry;

  BridgeMetrics(MeterRegistry registry, IntSupplier inFlight, BooleanSupplier ready) {
    this.registry = registry;
    received = Counter.builder("eventflow.mqtt.received").register(registry);
    published = Counter.builder("eventflow.mqtt.published").register(registry);
    acked = Counter.builder("eventflow.mqtt.acked").register(registry);
    publishFailures = Counter.builder("eventflow.mqtt.publish.failures").register(registry);
    reconnects = Counter.builder("eventflow.mqtt.reconnects").register(registry);
    ackLatency =
        Timer.builder("eventflow.mqtt.ack.latency")
            .description("from receipt to PUBACK, which waits for Pub/Sub's confirmation")
            .publishPercentiles(0.5, 0.99)
            // Percentiles over the last minute, in 3 rotating buckets: what an operator looks at.
            .distributionStatisticExpiry(Duration.ofMinutes(1))
            .distributionStatisticBufferLength(3)
            .register(registry);
    Gauge.builder("eventflow.mqtt.in.flight", inFlight::getAsInt).register(registry);
    Gauge.builder("eventflow.mqtt.ready", () -> ready.getAsBoolean() ? 1 : 0).register(registry);
  }

  /** Counts a dead letter Pub/Sub confirmed. */
  void deadLettered(InvalidReason reason) {
    Counter counter;
    synchronized (deadLettered) {
      counter =
          deadLettered.computeIfAbsent(
              reason,
              r ->
                  Counter.builder("eventflow.mqtt.dead.lettered")
                      .tag("reason", r.name())
                      .register(registry));
    }
    counter.increment();
  }

  /** Records the time from a message's receipt to its PUBACK. */
  void acked(long nanos) {
    acked.increment();
    ackLatency.record(nanos, TimeUnit.NANOSECONDS);
  }
}
