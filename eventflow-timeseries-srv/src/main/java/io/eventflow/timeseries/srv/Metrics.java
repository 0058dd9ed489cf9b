package io.eventflow.timeseries.srv;

import io.eventflow.metrics.CloudMonitoring;
import io.eventflow.metrics.ServiceMeters;
import io.eventflow.timeseries.store.Resolution;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The service's metrics: the gRPC calls (through Micrometer's {@link
 * MetricCollectingServerInterceptor}), the cache levels, Redis degradation, rows read and rejected
 * queries, scraped from a {@link PrometheusMeterRegistry} and, when configured, also published to
 * Cloud Monitoring ({@link ServiceMeters}). Every meter the query path touches is registered up
 * front and held in a field, so an update is one lock-free add with no lookup.
 */
public final class Metrics implements AutoCloseable {
  /**
   * Latency bucket bounds: a cache hit takes well under a millisecond, a year of minute rows from
   * Spanner a few seconds.
   */
  private static final Duration[] LATENCY_BOUNDS = {
    Duration.ofMillis(1).dividedBy(2),
    Duration.ofMillis(1),
    Duration.ofMillis(5).dividedBy(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10)
  };

  /** Why a Redis operation did not serve or store an answer (the {@code reason} label). */
  public enum Degraded {
    /** Redis failed or timed out: it is skipped for the back-off period. */
    FAILED,
    /** Skipped during the back-off period after a failure. */
    SKIPPED,
    /**
     * No pooled connection was free within the timeout (a burst of concurrent misses): Redis itself
     * is fine and is not switched off.
     */
    POOL_WAIT,
    /** A cached value failed its version or checksum check; it was ignored and is overwritten. */
    CORRUPT
  }

  private final ServiceMeters meters;
  private final MeterRegistry registry;
  private final MetricCollectingServerInterceptor calls;
  private final Counter l1Hit;
  private final Counter l1Miss;
  private final Counter l2Hit;
  private final Counter l2Miss;
  private final Map<Degraded, Counter> degraded = new EnumMap<>(Degraded.class);
  private final Map<Resolution, Counter> rowsRead = new EnumMap<>(Resolution.class);
  private final Counter rejectedBusy;
  private final Counter rejectedTooManyRows;

  /** Creates the registry, Prometheus only, and registers every meter at zero. */
  public Metrics() {
    this(Optional.empty());
  }

  /**
   * Creates the registries, Prometheus and, when {@code cloudMonitoring} is present, Cloud
   * Monitoring, and registers every meter at zero.
   */
  public Metrics(Optional<CloudMonitoring> cloudMonitoring) {
    meters = ServiceMeters.of(cloudMonitoring);
    registry = meters.registry();
    calls =
        new MetricCollectingServerInterceptor(
            registry,
            counter -> counter,
            timer -> timer.serviceLevelObjectives(LATENCY_BOUNDS),
            Status.Code.OK,
            Status.Code.INVALID_ARGUMENT,
            Status.Code.RESOURCE_EXHAUSTED,
            Status.Code.DEADLINE_EXCEEDED,
            Status.Code.UNAVAILABLE,
            Status.Code.INTERNAL);
    l1Hit = lookups("l1", "hit");
    l1Miss = lookups("l1", "miss");
    l2Hit = lookups("l2", "hit");
    l2Miss = lookups("l2", "miss");
    rejectedBusy = rejected("busy");
    rejectedTooManyRows = rejected("too_many_rows");
    for (Degraded reason : Degraded.values()) {
      degraded.put(
          reason,
          Counter.builder("eventflow.timeseries.cache.degraded")
              .description("Redis operations that did not serve or store an answer, by reason.")
              .tag("reason", reason.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
    for (Resolution r : Resolution.values()) {
      rowsRead.put(
          r,
          Counter.builder("eventflow.timeseries.rows.read")
              .description("Interval rows read from the store.")
              .tag("resolution", r.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
  }

  private Counter lookups(String level, String result) {
    return Counter.builder("eventflow.timeseries.cache.lookups")
        .description("Cache lookups by level (l1 in-process, l2 Redis) and result.")
        .tag("level", level)
        .tag("result", result)
        .register(registry);
  }

  private Counter rejected(String reason) {
    return Counter.builder("eventflow.timeseries.queries.rejected")
        .description("Queries answered RESOURCE_EXHAUSTED, by reason.")
        .tag("reason", reason)
        .register(registry);
  }

  /**
   * Returns the interceptor counting every call of {@code service} by method and status code and
   * timing it, with the service's methods registered at zero.
   */
  public ServerInterceptor callsOf(ServerServiceDefinition service) {
    calls.preregisterService(service);
    return calls;
  }

  /** Counts a cache lookup at {@code level} ("l1" or "l2") that hit or missed. */
  public void cacheLookup(String level, boolean hit) {
    if (level.equals("l1")) {
      (hit ? l1Hit : l1Miss).increment();
    } else {
      (hit ? l2Hit : l2Miss).increment();
    }
  }

  /** Counts a Redis operation that did not serve or store an answer, and why. */
  public void cacheDegraded(Degraded reason) {
    degraded.get(reason).increment();
  }

  /** Counts rows read from the store at a resolution. */
  public void rowsRead(Resolution resolution, long rows) {
    rowsRead.get(resolution).increment(rows);
  }

  /** Counts a query rejected because every query thread and queue slot was taken. */
  public void rejectedBusy() {
    rejectedBusy.increment();
  }

  /** Counts a query rejected because it would read more rows than the per-query cap. */
  public void rejectedTooManyRows() {
    rejectedTooManyRows.increment();
  }

  /** Returns the registry, for binding further meters (they go wherever these go). */
  public MeterRegistry registry() {
    return registry;
  }

  /** Whether the meters are also published to Cloud Monitoring. */
  public boolean exportsToCloudMonitoring() {
    return meters.exportsToCloudMonitoring();
  }

  /** Returns the current values in the Prometheus text format (version 0.0.4). */
  public String scrape() {
    return meters.prometheus().scrape();
  }

  /** Publishes the last values to Cloud Monitoring, if configured, and closes the registries. */
  @Override
  public void close() {
    meters.close();
  }
}
