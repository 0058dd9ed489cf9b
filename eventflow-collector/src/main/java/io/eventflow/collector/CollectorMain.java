package io.eventflow.collector;

import io.eventflow.common.EnvironmentReader;
import io.eventflow.metrics.CloudMonitoring;
import io.eventflow.publisher.EventPublisher;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * Runs the collector as a service (the container's entry point), configured by environment
 * variables:
 *
 * <table>
 *   <caption>Environment</caption>
 *   <tr><th>variable</th><th>default</th></tr>
 *   <tr><td>{@code PORT}</td><td>8080 (Cloud Run sets it)</td></tr>
 *   <tr><td>{@code EVENTFLOW_COLLECTOR_HOST}</td><td>{@code 0.0.0.0} with keys, else {@code 127.0.0.1}</td></tr>
 *   <tr><td>{@code EVENTFLOW_COLLECTOR_API_KEYS}</td><td>none: open, loopback only (see {@link ApiKeys})</td></tr>
 *   <tr><td>{@code EVENTFLOW_COLLECTOR_CORS_ORIGINS}</td><td>none; comma-separated, {@code *} for any</td></tr>
 *   <tr><td>{@code EVENTFLOW_COLLECTOR_RATE_PER_KEY}</td><td>1000 requests/s</td></tr>
 *   <tr><td>{@code EVENTFLOW_COLLECTOR_EVENTS_TOPIC}</td><td>{@code events}</td></tr>
 *   <tr><td>{@code EVENTFLOW_COLLECTOR_SOURCE}</td><td>{@code collector}</td></tr>
 *   <tr><td>{@code EVENTFLOW_COLLECTOR_MAX_EVENT_BYTES}, {@code _MAX_REQUEST_BYTES}, {@code _MAX_IN_FLIGHT_BYTES}</td><td>262144, 10000000, 67108864</td></tr>
 *   <tr><td>{@code EVENTFLOW_COLLECTOR_ACCEPT_TIMEOUT_MS}</td><td>10000</td></tr>
 *   <tr><td>{@code EVENTFLOW_COLLECTOR_CALL_TIMEOUT_MS}</td><td>1000</td></tr>
 *   <tr><td>{@code EVENTFLOW_COLLECTOR_PUBLISH_BATCH_DELAY_MS}</td><td>2</td></tr>
 *   <tr><td>{@code GOOGLE_CLOUD_PROJECT}, {@code PUBSUB_EMULATOR_HOST}</td><td>as every Pub/Sub client reads them</td></tr>
 *   <tr><td>{@code EVENTFLOW_CLOUD_MONITORING_PROJECT} (and {@code _LOCATION}, {@code _STEP_SECONDS})</td><td>unset: metrics on {@code /metrics} only (see {@link CloudMonitoring})</td></tr>
 * </table>
 */
public final class CollectorMain {
  private CollectorMain() {}

  /** Starts the collector and runs until SIGTERM, which stops it gracefully. */
  public static void main(String[] args) throws IOException, InterruptedException {
    CollectorConfig config;
    try {
      config = fromEnvironment(System::getenv);
    } catch (IllegalArgumentException e) {
      System.err.println("eventflow-collector: " + e.getMessage());
      System.exit(2);
      return;
    }
    CollectorServer server = CollectorServer.start(config, Clock.systemUTC());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "eventflow-collector-shutdown"));
    System.out.println("eventflow-collector: " + server.url());
    stopped.await();
  }

  /**
   * Reads the configuration from environment variables (see the class comment).
   *
   * @throws IllegalArgumentException naming the bad variable
   */
  public static CollectorConfig fromEnvironment(Function<String, String> environment) {
    EnvironmentReader env = new EnvironmentReader(environment);
    CollectorConfig.Builder builder = CollectorConfig.builder();
    env.optional("EVENTFLOW_COLLECTOR_API_KEYS").map(Path::of).ifPresent(builder::apiKeysFile);
    String defaultHost =
        env.optional("EVENTFLOW_COLLECTOR_API_KEYS").isPresent() ? "0.0.0.0" : "127.0.0.1";
    builder
        .host(env.string("EVENTFLOW_COLLECTOR_HOST", defaultHost))
        .port(env.integer("PORT", CollectorConfig.DEFAULT_PORT))
        .eventsTopic(
            env.string("EVENTFLOW_COLLECTOR_EVENTS_TOPIC", CollectorConfig.DEFAULT_EVENTS_TOPIC))
        .defaultSource(env.string("EVENTFLOW_COLLECTOR_SOURCE", CollectorConfig.DEFAULT_SOURCE))
        .ratePerKey(env.decimal("EVENTFLOW_COLLECTOR_RATE_PER_KEY", 1_000))
        .sizeLimits(
            env.integer(
                "EVENTFLOW_COLLECTOR_MAX_EVENT_BYTES", CollectorConfig.DEFAULT_MAX_EVENT_BYTES),
            env.number(
                "EVENTFLOW_COLLECTOR_MAX_REQUEST_BYTES", CollectorConfig.DEFAULT_MAX_REQUEST_BYTES))
        .maxInFlightBytes(
            env.number(
                "EVENTFLOW_COLLECTOR_MAX_IN_FLIGHT_BYTES",
                CollectorConfig.DEFAULT_MAX_IN_FLIGHT_BYTES))
        .acceptTimeout(
            Duration.ofMillis(
                env.number(
                    "EVENTFLOW_COLLECTOR_ACCEPT_TIMEOUT_MS",
                    CollectorConfig.DEFAULT_ACCEPT_TIMEOUT.toMillis())))
        .publishBatchDelay(
            Duration.ofMillis(
                env.number(
                    "EVENTFLOW_COLLECTOR_PUBLISH_BATCH_DELAY_MS",
                    CollectorConfig.DEFAULT_PUBLISH_BATCH_DELAY.toMillis())))
        .callTimeouts(
            Duration.ofMillis(
                env.number(
                    "EVENTFLOW_COLLECTOR_CALL_TIMEOUT_MS",
                    CollectorConfig.DEFAULT_CALL_TIMEOUT.toMillis())),
            Duration.ofSeconds(30));
    env.list("EVENTFLOW_COLLECTOR_CORS_ORIGINS").forEach(builder::corsOrigin);
    env.optional(EventPublisher.PROJECT_ENV).ifPresent(builder::project);
    env.optional(EventPublisher.EMULATOR_HOST_ENV).ifPresent(builder::emulatorHost);
    builder.cloudMonitoring(
        CloudMonitoring.fromEnvironment(environment, CollectorConfig.MONITORING_JOB));
    return builder.build();
  }
}
