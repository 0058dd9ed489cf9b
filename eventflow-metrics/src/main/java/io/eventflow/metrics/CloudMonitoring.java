package io.eventflow.metrics;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.cloud.monitoring.v3.MetricServiceSettings;
import io.eventflow.common.EnvironmentReader;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.stackdriver.StackdriverConfig;
import io.micrometer.stackdriver.StackdriverMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where a service's meters go in Cloud Monitoring, read from the environment: off unless {@value
 * #PROJECT_ENV} names a project (the local stack and tests leave it unset; Terraform sets it on
 * Cloud Run).
 *
 * <p>Micrometer's Stackdriver registry publishes every meter once per step as {@code
 * custom.googleapis.com/NAME}, the meter's name with dots turned into slashes ({@code
 * eventflow.collector.events.accepted} becomes {@code
 * custom.googleapis.com/eventflow/collector/events/accepted}), its tags as metric labels with dots
 * turned into underscores. A counter's point is its count during the step (a GAUGE, not a running
 * total); a timer is a DISTRIBUTION in milliseconds, plus {@code NAME/count}, {@code NAME/max} and
 * one {@code NAME/pNN} per published percentile.
 *
 * <p>Every point is written against the monitored resource {@value #RESOURCE_TYPE} with {@code
 * namespace} {@value #NAMESPACE}, {@code job} the service's name and {@code task_id} unique to the
 * process: Cloud Monitoring refuses two writers of one time series, which Cloud Run instances of
 * one service would otherwise be.
 *
 * @param project the project the metrics are written to
 * @param location the {@code location} resource label: the region the service runs in
 * @param job the {@code job} resource label: the service, e.g. {@code eventflow-collector}
 * @param taskId the {@code task_id} resource label, unique to this process
 * @param step how often the meters are published
 * @param endpoint a plaintext stand-in of the Monitoring API ({@code host:port}) used without
 *     credentials, for tests; empty: Google's endpoint with application default credentials
 */
public record CloudMonitoring(
    String project,
    String location,
    String job,
    String taskId,
    Duration step,
    Optional<String> endpoint) {

  /** The project to write metrics to; unset or blank: no export. */
  public static final String PROJECT_ENV = "EVENTFLOW_CLOUD_MONITORING_PROJECT";

  /** The {@code location} resource label, default {@value #DEFAULT_LOCATION}. */
  public static final String LOCATION_ENV = "EVENTFLOW_CLOUD_MONITORING_LOCATION";

  /** Seconds between publications, default 60. */
  public static final String STEP_ENV = "EVENTFLOW_CLOUD_MONITORING_STEP_SECONDS";

  /** A plaintext stand-in of the Monitoring API, {@code host:port} (tests). */
  public static final String ENDPOINT_ENV = "EVENTFLOW_CLOUD_MONITORING_ENDPOINT";

  /** What every metric type starts with: Cloud Monitoring's prefix for user-defined metrics. */
  public static final String METRIC_TYPE_PREFIX = "custom.googleapis.com/";

  /** The monitored resource type of every point. */
  public static final String RESOURCE_TYPE = "generic_task";

  /** The {@code namespace} resource label of every point. */
  public static final String NAMESPACE = "eventflow";

  /** Used when {@value #LOCATION_ENV} is unset. */
  public static final String DEFAULT_LOCATION = "global";

  /**
   * One point a minute per time series: Cloud Monitoring's own charts and alignment periods are
   * minutes, and it bills ingestion per point (a step of 10 s would write six times as much).
   */
  public static final Duration DEFAULT_STEP = Duration.ofMinutes(1);

  /** Cloud Monitoring accepts at most one point per time series every 5 seconds. */
  static final Duration MIN_STEP = Duration.ofSeconds(10);

  /** Project ids, plain ({@code my-project}) or domain-scoped ({@code example.com:my-project}). */
  private static final Pattern PROJECT_ID =
      Pattern.compile("([a-z0-9.-]+:)?[a-z][-a-z0-9]{4,28}[a-z0-9]");

  /** Checks the settings. */
  public CloudMonitoring {
    if (!PROJECT_ID.matcher(project).matches()) {
      throw new IllegalArgumentException(
          PROJECT_ENV + ": \"" + project + "\" is not a GCP project id such as my-project");
    }
    if (location.isBlank() || job.isBlank() || taskId.isBlank()) {
      throw new IllegalArgumentException(
          "the location, job and task id of Cloud Monitoring's resource must not be blank");
    }
    if (step.compareTo(MIN_STEP) < 0) {
      throw new IllegalArgumentException(
          STEP_ENV
              + ": "
              + step.toSeconds()
              + " s is too short: Cloud Monitoring takes a point per series every 10 s at most");
    }
  }

  /**
   * Reads the settings of service {@code job} from the environment; empty when {@value
   * #PROJECT_ENV} is unset or blank. The task id is random, one per process.
   *
   * @throws IllegalArgumentException naming the variable if a value is invalid
   */
  public static Optional<CloudMonitoring> fromEnvironment(
      Function<String, String> environment, String job) {
    EnvironmentReader env = new EnvironmentReader(environment);
    Optional<String> project = env.optional(PROJECT_ENV);
    if (project.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new CloudMonitoring(
            project.get(),
            env.string(LOCATION_ENV, DEFAULT_LOCATION),
            job,
            UUID.randomUUID().toString(),
            Duration.ofSeconds(env.number(STEP_ENV, DEFAULT_STEP.toSeconds())),
            env.optional(ENDPOINT_ENV)));
  }

  /** Returns the metric type Cloud Monitoring stores a meter under, without a statistic suffix. */
  public static String metricType(String meterName) {
    return METRIC_TYPE_PREFIX + meterName.replace('.', '/');
  }

  /**
   * Returns a registry that publishes its meters to Cloud Monitoring every step from a thread of
   * its own; {@link StackdriverMeterRegistry#close()} publishes the last values and stops it.
   * Failed publications are logged by the registry and never reach the service's callers.
   */
  public StackdriverMeterRegistry registry() {
    StackdriverConfig config =
        new StackdriverConfig() {
          @Override
          public String get(String key) {
            return null;
          }

          @Override
          public String projectId() {
            return project;
          }

          @Override
          public Duration step() {
            return step;
          }

          @Override
          public String resourceType() {
            return RESOURCE_TYPE;
          }

          @Override
          public Map<String, String> resourceLabels() {
            return Map.of(
                "location", location, "namespace", NAMESPACE, "job", job, "task_id", taskId);
          }
        };
    StackdriverMeterRegistry.Builder builder =
        StackdriverMeterRegistry.builder(config).clock(Clock.SYSTEM);
    endpoint.ifPresent(
        target ->
            builder.metricServiceSettings(
                () ->
                    MetricServiceSettings.newBuilder()
                        .setCredentialsProvider(NoCredentialsProvider.create())
                        .setTransportChannelProvider(
                            InstantiatingGrpcChannelProvider.newBuilder()
                                .setEndpoint(target)
                                .setChannelConfigurator(ManagedChannelBuilder::usePlaintext)
                                .build())
                        .build()));
    StackdriverMeterRegistry registry = builder.build();
    registry.config().meterFilter(MeterFilter.denyUnless(CloudMonitoring::published));
    return registry;
  }

  /**
   * Whether a meter goes to Cloud Monitoring: eventflow's own and the gRPC server's. The meters
   * frameworks add for themselves (Armeria's event loops and caches, Netty's buffers) stay in
   * Prometheus: each would be a billed custom metric descriptor of its own, and a project holds at
   * most 2,000 of them.
   */
  static boolean published(Meter.Id id) {
    return id.getName().startsWith("eventflow.") || id.getName().startsWith("grpc.server.");
  }
}
