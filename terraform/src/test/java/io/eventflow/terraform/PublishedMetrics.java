package io.eventflow.terraform;

import com.google.monitoring.v3.TimeSeries;
import io.eventflow.collector.CollectorMain;
import io.eventflow.collector.CollectorServer;
import io.eventflow.metrics.CloudMonitoring;
import io.eventflow.metrics.FakeMonitoringApi;
import io.eventflow.mqtt.MqttBridge;
import io.eventflow.mqtt.MqttBridgeMain;
import io.eventflow.timeseries.srv.ServerConfig;
import io.eventflow.timeseries.srv.StoreUrls;
import io.eventflow.timeseries.srv.TimeSeriesServer;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the three services really publish to Cloud Monitoring: each is started in-process from the
 * environment Cloud Run gives it, with its Cloud Monitoring export pointed at a {@link
 * FakeMonitoringApi} on loopback, touched the way the dashboard's meters need (a request to the
 * collector, one of them refused), and stopped, which publishes every meter. Nothing leaves the
 * machine: Pub/Sub and the MQTT broker are addresses where nothing listens (no event is published).
 *
 * @param labels the metric label keys of each published metric type
 * @param jobs the {@code job} resource labels each metric type was published under
 */
record PublishedMetrics(Map<String, Set<String>> labels, Map<String, Set<String>> jobs) {

  /**
   * Starts and stops the query service, the collector and the MQTT bridge; returns what they
   * published.
   */
  static PublishedMetrics collect() throws Exception {
    try (FakeMonitoringApi api = FakeMonitoringApi.start()) {
      Map<String, String> monitoring =
          Map.of(
              CloudMonitoring.PROJECT_ENV, "demo-project",
              CloudMonitoring.LOCATION_ENV, "us-central1",
              CloudMonitoring.ENDPOINT_ENV, api.endpoint());
      runQueryService(monitoring);
      runCollector(monitoring);
      runMqttBridge(monitoring);

      Map<String, Set<String>> labels = new TreeMap<>();
      Map<String, Set<String>> jobs = new TreeMap<>();
      for (TimeSeries series : api.timeSeries()) {
        String type = series.getMetric().getType();
        labels
            .computeIfAbsent(type, t -> new TreeSet<>())
            .addAll(series.getMetric().getLabelsMap().keySet());
        jobs.computeIfAbsent(type, t -> new TreeSet<>())
            .add(series.getResource().getLabelsOrDefault("job", ""));
      }
      return new PublishedMetrics(labels, jobs);
    }
  }

  private static void runQueryService(Map<String, String> monitoring) throws Exception {
    Map<String, String> env = new HashMap<>(monitoring);
    env.put("EVENTFLOW_STORE", "jdbc:h2:mem:published-metrics;DB_CLOSE_DELAY=-1");
    env.put("EVENTFLOW_GRPC_PORT", "0");
    env.put("EVENTFLOW_METRICS_PORT", "none");
    ServerConfig config = ServerConfig.fromEnvironment(env);
    TimeSeriesServer server =
        new TimeSeriesServer(
            Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()),
            StoreUrls.open(config.store(), config.spannerMaxStaleness(), Clock.systemUTC()),
            config,
            Clock.systemUTC());
    server.start();
    // The gRPC calls' meters are registered per method at start; stopping publishes them.
    server.stop();
  }

  private static void runCollector(Map<String, String> monitoring) throws Exception {
    Map<String, String> env = new HashMap<>(monitoring);
    env.put("PORT", "0");
    env.put("EVENTFLOW_COLLECTOR_HOST", "127.0.0.1");
    env.put("GOOGLE_CLOUD_PROJECT", "demo-project");
    env.put("PUBSUB_EMULATOR_HOST", "127.0.0.1:" + unusedPort());
    try (CollectorServer collector =
        CollectorServer.start(CollectorMain.fromEnvironment(env::get), Clock.systemUTC())) {
      HttpClient http = HttpClient.newHttpClient();
      // Armeria's request meters (by route and status) exist once a request was served; a batch
      // whose one element is no event is refused before any publish, which registers the
      // rejection counter (by reason).
      http.send(
          HttpRequest.newBuilder(URI.create(collector.url() + "/healthz")).build(),
          HttpResponse.BodyHandlers.discarding());
      HttpResponse<String> refused =
          http.send(
              HttpRequest.newBuilder(URI.create(collector.url() + "/v1/batch"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("[1]"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (!refused.body().contains("MALFORMED_JSON")) {
        throw new AssertionError(
            "the collector answered " + refused.statusCode() + " " + refused.body());
      }
    }
  }

  private static void runMqttBridge(Map<String, String> monitoring) throws Exception {
    Map<String, String> env = new HashMap<>(monitoring);
    env.put("EVENTFLOW_MQTT_BROKER", "tcp://127.0.0.1:" + unusedPort());
    env.put("GOOGLE_CLOUD_PROJECT", "demo-project");
    env.put("PUBSUB_EMULATOR_HOST", "127.0.0.1:" + unusedPort());
    // The broker is not there: the bridge keeps retrying in the background until it is closed.
    MqttBridge.start(MqttBridgeMain.fromEnvironment(env::get), Clock.systemUTC()).close();
  }

  /** A loopback port nothing listens on (it was free a moment ago). */
  private static int unusedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
