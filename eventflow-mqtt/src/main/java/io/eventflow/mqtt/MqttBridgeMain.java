package io.eventflow.mqtt;

import io.eventflow.common.EnvironmentReader;
import io.eventflow.metrics.CloudMonitoring;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * Runs the bridge as a service (the container's entry point), configured by environment variables:
 *
 * <table>
 *   <caption>Environment</caption>
 *   <tr><th>variable</th><th>default</th></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_BROKER}</td><td>required: {@code tcp://HOST:1883} or {@code ssl://HOST:8883}</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_VERSION}</td><td>5 (or 3 for 3.1.1)</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_CLIENT_ID}</td><td>{@code eventflow-mqtt-bridge}</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_SESSIONS}</td><td>1 (more: every topic {@code $share/GROUP/…}; client ids ID, ID-2…)</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_USERNAME}, {@code EVENTFLOW_MQTT_PASSWORD}</td><td>none</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_CA_FILE}</td><td>the JVM's trusted CAs</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_TOPICS}</td><td>comma-separated filters; one per template</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_TEMPLATES}</td><td>{@code devices/{customer}/{source}/{type},eventflow/events}</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_SESSION_EXPIRY_SECONDS}</td><td>86400</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_RECEIVE_MAXIMUM}</td><td>1000</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_EVENTS_TOPIC}, {@code EVENTFLOW_MQTT_DEAD_LETTER_TOPIC}</td><td>{@code events}, {@code mqtt-dead-letters}</td></tr>
 *   <tr><td>{@code GOOGLE_CLOUD_PROJECT}, {@code PUBSUB_EMULATOR_HOST}</td><td>as every Pub/Sub client reads them</td></tr>
 *   <tr><td>{@code EVENTFLOW_MQTT_HTTP_PORT}</td><td>8080: {@code /healthz}, {@code /readyz}, {@code /metrics}</td></tr>
 *   <tr><td>{@code EVENTFLOW_CLOUD_MONITORING_PROJECT} (and {@code _LOCATION}, {@code _STEP_SECONDS})</td><td>unset: metrics on {@code /metrics} only (see {@link CloudMonitoring})</td></tr>
 * </table>
 */
public final class MqttBridgeMain {
  private MqttBridgeMain() {}

  /**
   * Starts the bridge and its HTTP endpoints, and runs until SIGTERM, which stops it gracefully.
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    BridgeConfig config;
    int httpPort;
    try {
      config = fromEnvironment(System::getenv);
      httpPort = Integer.parseInt(env(System::getenv, "EVENTFLOW_MQTT_HTTP_PORT", "8080"));
    } catch (IllegalArgumentException e) {
      System.err.println("eventflow-mqtt: " + e.getMessage());
      System.exit(2);
      return;
    }
    MqttBridge bridge = MqttBridge.start(config, Clock.systemUTC());
    BridgeHttpServer http = BridgeHttpServer.start(bridge, "0.0.0.0", httpPort);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  bridge.close();
                  http.close();
                  stopped.countDown();
                },
                "eventflow-mqtt-shutdown"));
    System.out.println("eventflow-mqtt: http on port " + http.port());
    stopped.await();
  }

  /**
   * Reads the configuration from environment variables (see the class comment).
   *
   * @throws IllegalArgumentException naming the bad or missing variable
   */
  public static BridgeConfig fromEnvironment(Function<String, String> environment) {
    String broker = environment.apply("EVENTFLOW_MQTT_BROKER");
    if (broker == null || broker.isBlank()) {
      throw new IllegalArgumentException(
          "EVENTFLOW_MQTT_BROKER is not set (e.g. tcp://mqtt.example.com:1883)");
    }
    BridgeConfig.Builder builder = BridgeConfig.builder(broker.trim());
    builder.mqttVersion(integer(environment, "EVENTFLOW_MQTT_VERSION", 5));
    builder.clientId(env(environment, "EVENTFLOW_MQTT_CLIENT_ID", BridgeConfig.DEFAULT_CLIENT_ID));
    builder.sessions(integer(environment, "EVENTFLOW_MQTT_SESSIONS", 1));
    String username = environment.apply("EVENTFLOW_MQTT_USERNAME");
    if (username != null && !username.isEmpty()) {
      builder.credentials(username, environment.apply("EVENTFLOW_MQTT_PASSWORD"));
    }
    String ca = environment.apply("EVENTFLOW_MQTT_CA_FILE");
    if (ca != null && !ca.isBlank()) {
      builder.caCertificate(Path.of(ca));
    }
    for (String filter : list(environment, "EVENTFLOW_MQTT_TOPICS")) {
      builder.filter(filter);
    }
    for (String template : list(environment, "EVENTFLOW_MQTT_TEMPLATES")) {
      builder.template(template);
    }
    builder.sessionExpiry(
        Duration.ofSeconds(
            integer(
                environment,
                "EVENTFLOW_MQTT_SESSION_EXPIRY_SECONDS",
                (int) BridgeConfig.DEFAULT_SESSION_EXPIRY.toSeconds())));
    builder.receiveMaximum(
        integer(
            environment, "EVENTFLOW_MQTT_RECEIVE_MAXIMUM", BridgeConfig.DEFAULT_RECEIVE_MAXIMUM));
    builder.topics(
        env(environment, "EVENTFLOW_MQTT_EVENTS_TOPIC", BridgeConfig.DEFAULT_EVENTS_TOPIC),
        env(
            environment,
            "EVENTFLOW_MQTT_DEAD_LETTER_TOPIC",
            BridgeConfig.DEFAULT_DEAD_LETTER_TOPIC));
    String project = environment.apply("GOOGLE_CLOUD_PROJECT");
    if (project != null && !project.isBlank()) {
      builder.project(project.trim());
    }
    String emulator = environment.apply("PUBSUB_EMULATOR_HOST");
    if (emulator != null && !emulator.isBlank()) {
      builder.emulatorHost(emulator.trim());
    }
    builder.cloudMonitoring(
        CloudMonitoring.fromEnvironment(environment, BridgeConfig.MONITORING_JOB));
    return builder.build();
  }

  private static String env(Function<String, String> environment, String name, String fallback) {
    return new EnvironmentReader(environment).string(name, fallback);
  }

  private static int integer(Function<String, String> environment, String name, int fallback) {
    return new EnvironmentReader(environment).integer(name, fallback);
  }

  private static List<String> list(Function<String, String> environment, String name) {
    return new EnvironmentReader(environment).list(name);
  }
}
