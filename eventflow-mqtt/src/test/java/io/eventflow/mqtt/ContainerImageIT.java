package io.eventflow.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.common.pb.Event;
import io.eventflow.testing.Await;
import io.eventflow.testing.FreePort;
import io.eventflow.testing.HttpProbe;
import io.eventflow.testing.ImageConventions;
import io.eventflow.testing.ImageTarball;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image `package` built with Jib (on {@code scratch}, as no registry is reachable
 * here; README, "Container image"): its configuration is what Cloud Run or Kubernetes needs, and
 * its layers hold a bridge that starts from the image's own entrypoint and classpath (run with this
 * machine's java) configured by environment alone, subscribes to a real MQTT broker (the embedded
 * HiveMQ CE), turns ready, publishes a device's reading to the real eventflow-broker, and stops on
 * SIGTERM.
 */
class ContainerImageIT {
  private static final Path TARBALL = Path.of("target", "jib-image-offline.tar");

  @TempDir Path dir;

  @Test
  void imageIsConfiguredForContainers() throws Exception {
    ImageConventions.assertOfflineImage(
        ImageTarball.open(TARBALL),
        "eventflow-mqtt",
        MqttBridgeMain.class.getName(),
        List.of(),
        "8080/tcp");
  }

  @Test
  void imageStartsTheBridgeWhichPublishesAReadingAndStopsOnSigterm() throws Exception {
    ImageTarball image = ImageTarball.open(TARBALL);
    Path root = image.extract(dir.resolve("root"));
    try (PubSubFixture pubsub = PubSubFixture.start(dir.resolve("pubsub"));
        EmbeddedMqttBroker mqtt = EmbeddedMqttBroker.start("127.0.0.1", 0)) {
      int httpPort = FreePort.loopback();
      Path log = dir.resolve("bridge.log");
      ProcessBuilder builder =
          image.processBuilder(root).redirectErrorStream(true).redirectOutput(log.toFile());
      Map<String, String> env = builder.environment();
      env.put("EVENTFLOW_MQTT_BROKER", mqtt.uri());
      env.put("EVENTFLOW_MQTT_VERSION", "5");
      env.put("EVENTFLOW_MQTT_HTTP_PORT", Integer.toString(httpPort));
      env.put("GOOGLE_CLOUD_PROJECT", PubSubFixture.PROJECT);
      env.put("PUBSUB_EMULATOR_HOST", pubsub.hostAndPort());
      Process bridge = builder.start();
      try {
        URI base = URI.create("http://127.0.0.1:" + httpPort);
        Await.until(
            "the image's bridge is subscribed and ready (log: " + log + ")",
            () -> HttpProbe.status(base.resolve("/readyz")) == 200);
        assertThat(HttpProbe.status(base.resolve("/healthz"))).isEqualTo(200);

        try (Device device = Device.connect(mqtt.port(), 3)) {
          device.publish("devices/acme/sensor-1/reading", "{\"temp\":21.5}");
        }
        Await.until("the reading reached Pub/Sub", () -> !pubsub.events.isEmpty());
        Event event = Event.parseFrom(pubsub.events.get(0).getData());
        assertThat(event.getType()).isEqualTo("reading");
        assertThat(event.getCustomer().getValue()).isEqualTo("acme");
        assertThat(HttpProbe.get(base.resolve("/metrics")).body())
            .contains("eventflow_mqtt_published_total");

        bridge.destroy(); // SIGTERM, as Cloud Run and Kubernetes stop a container
        assertThat(bridge.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
      } finally {
        bridge.destroyForcibly();
      }
    }
  }
}
