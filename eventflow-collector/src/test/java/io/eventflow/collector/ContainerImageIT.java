package io.eventflow.collector;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.broker.BrokerFixture;
import io.eventflow.testing.Await;
import io.eventflow.testing.FreePort;
import io.eventflow.testing.HttpProbe;
import io.eventflow.testing.ImageConventions;
import io.eventflow.testing.ImageTarball;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image `package` built with Jib (on {@code scratch}, as no registry is reachable
 * here; README, "Container image"): its configuration is what Cloud Run needs, and its layers hold
 * a collector that starts from the image's own entrypoint and classpath (run with this machine's
 * java) configured by environment alone, turns ready, accepts an event once the real
 * eventflow-broker stored it, and stops on SIGTERM.
 */
class ContainerImageIT {
  private static final Path TARBALL = Path.of("target", "jib-image-offline.tar");

  @TempDir Path dir;

  @Test
  void imageIsConfiguredForContainers() throws Exception {
    ImageConventions.assertOfflineImage(
        ImageTarball.open(TARBALL),
        "eventflow-collector",
        CollectorMain.class.getName(),
        List.of(),
        "8080/tcp");
  }

  @Test
  void imageStartsTheCollectorWhichAcceptsAnEventAndStopsOnSigterm() throws Exception {
    ImageTarball image = ImageTarball.open(TARBALL);
    Path root = image.extract(dir.resolve("root"));
    try (BrokerFixture broker = BrokerFixture.startDurable(dir.resolve("broker"))) {
      String subscription = broker.createTopicAndSubscription("events", "");
      int port = FreePort.loopback();
      Path log = dir.resolve("collector.log");
      ProcessBuilder builder =
          image.processBuilder(root).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().put("PORT", Integer.toString(port));
      builder.environment().put("GOOGLE_CLOUD_PROJECT", BrokerFixture.PROJECT_ID);
      builder.environment().put("PUBSUB_EMULATOR_HOST", broker.hostAndPort());
      Process collector = builder.start();
      try {
        URI base = URI.create("http://127.0.0.1:" + port);
        Await.until(
            "the image's collector is ready (log: " + log + ")",
            () -> HttpProbe.status(base.resolve("/readyz")) == 200);
        assertThat(HttpProbe.status(base.resolve("/healthz"))).isEqualTo(200);

        HttpResponse<String> accepted =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(base.resolve("/v1/events"))
                        .header("Content-Type", "application/json")
                        .POST(
                            HttpRequest.BodyPublishers.ofString(
                                "{\"type\":\"signup\",\"attributes\":{\"plan\":{\"stringValue\":\"pro\"}}}"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
        assertThat(accepted.body()).isEqualTo("{\"accepted\":1,\"rejected\":[]}");
        Map<String, PubsubMessage> published = broker.pull(subscription, 1);
        assertThat(published.values())
            .singleElement()
            .satisfies(m -> assertThat(m.getAttributesMap()).containsEntry("event.type", "signup"));
        assertThat(HttpProbe.get(base.resolve("/metrics")).body())
            .contains("eventflow_collector_events_accepted_total");

        collector.destroy(); // SIGTERM, as Cloud Run stops a container
        assertThat(collector.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
      } finally {
        collector.destroyForcibly();
      }
    }
  }
}
