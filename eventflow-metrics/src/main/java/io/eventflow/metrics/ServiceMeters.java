package io.eventflow.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.stackdriver.StackdriverMeterRegistry;
import java.util.Optional;

/**
 * A service's meters: registered once in {@link #registry()}, they are scraped locally from {@link
 * #prometheus()} (the service's {@code /metrics}) and, when Cloud Monitoring is configured, also
 * published there every step. Close it when the service stops: that publishes the last values.
 */
public final class ServiceMeters implements AutoCloseable {
  private final PrometheusMeterRegistry prometheus =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final StackdriverMeterRegistry cloud;
  private final CompositeMeterRegistry registry = new CompositeMeterRegistry();

  private ServiceMeters(Optional<CloudMonitoring> cloudMonitoring) {
    this.cloud = cloudMonitoring.map(CloudMonitoring::registry).orElse(null);
    registry.add(prometheus);
    if (cloud != null) {
      registry.add(cloud);
    }
  }

  /** Returns Prometheus meters only: the local stack and tests. */
  public static ServiceMeters local() {
    return new ServiceMeters(Optional.empty());
  }

  /** Returns Prometheus meters, also published to Cloud Monitoring when it is present. */
  public static ServiceMeters of(Optional<CloudMonitoring> cloudMonitoring) {
    return new ServiceMeters(cloudMonitoring);
  }

  /** Returns the registry meters are registered in: every meter goes to every destination. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Returns the Prometheus registry, for {@code /metrics} and for reading values in tests. */
  public PrometheusMeterRegistry prometheus() {
    return prometheus;
  }

  /** Whether the meters are also published to Cloud Monitoring. */
  public boolean exportsToCloudMonitoring() {
    return cloud != null;
  }

  /** Publishes the last values to Cloud Monitoring, if configured, and closes every registry. */
  @Override
  public void close() {
    try {
      if (cloud != null) {
        cloud.close();
      }
    } finally {
      registry.close();
      prometheus.close();
    }
  }
}
