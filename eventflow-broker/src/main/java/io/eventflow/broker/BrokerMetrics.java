package io.eventflow.broker;

import io.eventflow.broker.log.Repair;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The broker's meters, in Micrometer's Prometheus registry and scraped at {@code GET /metrics} on
 * the broker's own port. Besides traffic, they count what the broker otherwise could only log:
 * records it could not read, reads that failed, publishes refused because the disk is behind, and
 * what recovery repaired at start.
 */
final class BrokerMetrics {
  private final PrometheusMeterRegistry registry;
  private final Map<String, Counter> published = new ConcurrentHashMap<>();

  /** Each subscription's backlog as of the last scrape, and the age of its oldest message. */
  private final Map<String, BacklogSample> backlogs = new ConcurrentHashMap<>();

  private final Map<String, List<Meter>> subscriptionMeters = new ConcurrentHashMap<>();
  private volatile Supplier<Map<String, BacklogSample>> backlogSource = Map::of;

  /** A subscription's backlog and the age in seconds of its oldest unacknowledged message. */
  record BacklogSample(Backlog backlog, double oldestAgeSeconds) {}

  BrokerMetrics() {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  /** The registry, for the gRPC interceptor and embedders that add their own meters. */
  MeterRegistry registry() {
    return registry;
  }

  /**
   * The Prometheus text exposition of every meter. Backlogs are computed once per scrape, not once
   * per gauge: each needs the subscription's lock and a look at its log.
   */
  String scrape() {
    backlogs.putAll(backlogSource.get());
    return registry.scrape();
  }

  /** Where {@link #scrape()} takes every subscription's backlog from. */
  void backlogs(Supplier<Map<String, BacklogSample>> source) {
    this.backlogSource = source;
  }

  /**
   * Registers the backlog gauges of a subscription, with the meanings of Cloud Monitoring's metrics
   * of the same names ({@code pubsub.googleapis.com/subscription/...}).
   */
  void subscriptionAdded(String subscription) {
    List<Meter> meters = new ArrayList<>();
    meters.add(
        backlogGauge(
            subscription,
            "eventflow.broker.subscription.num_undelivered_messages",
            "Unacknowledged messages (the backlog), delivered or not",
            null,
            b -> b.backlog().unacknowledged()));
    meters.add(
        backlogGauge(
            subscription,
            "eventflow.broker.subscription.backlog",
            "Stored bytes of the unacknowledged messages",
            "bytes",
            b -> b.backlog().bytes()));
    meters.add(
        backlogGauge(
            subscription,
            "eventflow.broker.subscription.oldest_unacked_message_age",
            "Age of the oldest unacknowledged message (0 when there is none)",
            "seconds",
            BacklogSample::oldestAgeSeconds));
    meters.add(
        backlogGauge(
            subscription,
            "eventflow.broker.subscription.num_outstanding_messages",
            "Messages delivered and not yet acknowledged, nacked or expired",
            null,
            b -> b.backlog().leased()));
    for (int i = 0; i < Backlog.ATTEMPT_BUCKETS; i++) {
      int bucket = i;
      meters.add(
          Gauge.builder(
                  "eventflow.broker.subscription.unacked_messages_by_delivery_attempts",
                  backlogs,
                  m -> {
                    BacklogSample b = m.get(subscription);
                    return b == null ? 0 : b.backlog().byDeliveryAttempts()[bucket];
                  })
              .description(
                  "Unacknowledged messages by how many times they were delivered since the"
                      + " broker started")
              .tag("subscription", subscription)
              .tag("delivery_attempts", Backlog.attemptsLabel(i))
              .strongReference(true)
              .register(registry));
    }
    subscriptionMeters.put(subscription, meters);
  }

  /** Removes a deleted subscription's backlog gauges. */
  void subscriptionRemoved(String subscription) {
    List<Meter> meters = subscriptionMeters.remove(subscription);
    if (meters != null) {
      meters.forEach(registry::remove);
    }
    backlogs.remove(subscription);
  }

  private Gauge backlogGauge(
      String subscription,
      String name,
      String description,
      @Nullable String unit,
      ToDoubleFunction<BacklogSample> value) {
    return Gauge.builder(
            name,
            backlogs,
            m -> {
              BacklogSample b = m.get(subscription);
              return b == null ? 0 : value.applyAsDouble(b);
            })
        .description(description)
        .baseUnit(unit)
        .tag("subscription", subscription)
        .strongReference(true)
        .register(registry);
  }

  /** The content type of {@link #scrape()}: Prometheus text format 0.0.4. */
  static String contentType() {
    return "text/plain; version=0.0.4; charset=utf-8";
  }

  /**
   * Counts messages published to a topic (after they are in the log). The counter is looked up in a
   * map of its own: building a meter id per publish would cost more than the increment.
   */
  void published(String topic, int messages) {
    published
        .computeIfAbsent(
            topic,
            t ->
                Counter.builder("eventflow.broker.messages.published")
                    .description(
                        "Messages appended to a topic's log and acknowledged to the publisher")
                    .tag("topic", t)
                    .register(registry))
        .increment(messages);
  }

  /** Counts a publish refused with RESOURCE_EXHAUSTED because the log's disk is behind. */
  void publishRefused(String topic) {
    Counter.builder("eventflow.broker.publishes.refused")
        .description("Publishes answered RESOURCE_EXHAUSTED: the pending batch was full")
        .tag("topic", topic)
        .register(registry)
        .increment();
  }

  /**
   * Counts a stored record whose payload is not a PubsubMessage: it passed its CRC, so the bytes
   * are what was written, and it can never be delivered. It is skipped (acknowledged) so the
   * subscription does not redeliver it forever, and counted here so that is never silent.
   */
  void unreadableMessage(String subscription) {
    Counter.builder("eventflow.broker.messages.unreadable")
        .description("Stored records that did not parse as a PubsubMessage, skipped and acked")
        .tag("subscription", subscription)
        .register(registry)
        .increment();
  }

  /** Counts a log read that failed while leasing (the batch so far is delivered, the rest not). */
  void logReadError(String topic) {
    Counter.builder("eventflow.broker.log.read.errors")
        .description("Log reads that failed while leasing messages; delivery retries them")
        .tag("topic", topic)
        .register(registry)
        .increment();
  }

  /** Counts a log segment deleted because nothing needed it, and the bytes that gave back. */
  void segmentDeleted(String topic, long bytes) {
    Counter.builder("eventflow.broker.log.segments.deleted")
        .description("Log segments deleted: no subscription, snapshot or retention needed them")
        .tag("topic", topic)
        .register(registry)
        .increment();
    reclaimed(topic, bytes);
  }

  /** Counts a log segment compacted from {@code before} to {@code after} bytes. */
  void segmentCompacted(String topic, long before, long after) {
    Counter.builder("eventflow.broker.log.segments.compacted")
        .description("Log segments rewritten without the records nothing needed any more")
        .tag("topic", topic)
        .register(registry)
        .increment();
    reclaimed(topic, before - after);
  }

  private void reclaimed(String topic, long bytes) {
    Counter.builder("eventflow.broker.log.reclaimed.bytes")
        .description("Disk bytes given back by deleting and compacting log segments")
        .baseUnit("bytes")
        .tag("topic", topic)
        .register(registry)
        .increment(bytes);
  }

  /** Counts one repair recovery made at start, and the bytes it cut. */
  void repaired(Repair repair) {
    String kind = repair.kind().name().toLowerCase(java.util.Locale.ROOT);
    Counter.builder("eventflow.broker.recovery.repairs")
        .description("Repairs recovery made to logs and journals when the broker started")
        .tag("kind", kind)
        .register(registry)
        .increment();
    Counter.builder("eventflow.broker.recovery.bytes.dropped")
        .description("Bytes recovery cut from logs and journals when the broker started")
        .tag("kind", kind)
        .register(registry)
        .increment(repair.bytesDropped());
  }

  /** Publishes the bytes waiting for the disk across all topic logs as a gauge. */
  void pendingBytes(Supplier<Number> bytes) {
    Gauge.builder("eventflow.broker.log.pending.bytes", bytes)
        .description("Bytes encoded and waiting to be written, summed over topic logs")
        .baseUnit("bytes")
        .register(registry);
  }

  /** Releases the registry's resources. */
  void close() {
    registry.close();
  }
}
