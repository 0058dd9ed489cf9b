package io.eventflow.mqtt;

import static io.eventflow.mqtt.PubSubFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.testing.MosquittoProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the bridge while a device publishes: the bridge runs as the container runs it ({@link
 * MqttBridgeMain} in a child JVM, configured by environment), Pub/Sub and the embedded broker
 * (HiveMQ CE) in this JVM (or Mosquitto as a process, for several sessions in a shared
 * subscription). After the restart every message has arrived, and every copy of a message has the
 * same event id.
 */
class BridgeCrashTest {
  private static final int MESSAGES = 1_500;

  @TempDir Path dir;

  private Process startBridge(
      String uri, Map<String, String> settings, PubSubFixture pubsub, Path log) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(MqttBridgeMain.class.getName());
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("EVENTFLOW_MQTT_BROKER", uri);
    env.put("EVENTFLOW_MQTT_CLIENT_ID", "crash-test-bridge");
    env.put("EVENTFLOW_MQTT_HTTP_PORT", "0");
    env.putAll(settings);
    env.put("GOOGLE_CLOUD_PROJECT", PubSubFixture.PROJECT);
    env.put("PUBSUB_EMULATOR_HOST", pubsub.hostAndPort());
    return builder.start();
  }

  @Test
  void killedBridgeLosesNothingAndRedeliveriesKeepTheirIds() throws Exception {
    try (PubSubFixture pubsub = PubSubFixture.start(dir.resolve("pubsub"));
        EmbeddedMqttBroker mqtt = EmbeddedMqttBroker.start("127.0.0.1", 0)) {
      killAndRestart(pubsub, mqtt.uri(), mqtt.port(), Map.of("EVENTFLOW_MQTT_VERSION", "5"));
    }
  }

  /**
   * Three sessions of one bridge in a shared subscription (MQTT 5, Mosquitto): after the kill each
   * session's unacknowledged and queued messages wait under its own client id, and the restarted
   * bridge resumes all three, so every message arrives.
   */
  @Test
  void killedBridgeWithThreeSessionsResumesEverySession() throws Exception {
    // Unlimited queues: mosquitto's default of 1,000 per session would drop messages while the
    // bridge is down, which is the broker's policy, not what this test is about.
    try (PubSubFixture pubsub = PubSubFixture.start(dir.resolve("pubsub"));
        MosquittoProcess mqtt = MosquittoProcess.start("max_queued_messages 0")) {
      killAndRestart(
          pubsub,
          mqtt.uri(),
          mqtt.port(),
          Map.of(
              "EVENTFLOW_MQTT_VERSION", "5",
              "EVENTFLOW_MQTT_SESSIONS", "3",
              "EVENTFLOW_MQTT_TOPICS", "$share/crash/devices/+/+/+"));
    }
  }

  /**
   * Starts the bridge, has a device publish {@link #MESSAGES} readings, kills the bridge a third of
   * the way through, starts it again, and checks that every reading arrived with one id.
   */
  private void killAndRestart(
      PubSubFixture pubsub, String uri, int port, Map<String, String> settings) throws Exception {
    Process first = startBridge(uri, settings, pubsub, dir.resolve("first.log"));
    AtomicInteger sent = new AtomicInteger();
    Thread publisher =
        new Thread(
            () -> {
              try (Device device = Device.connect(port, 3)) {
                for (int i = 0; i < MESSAGES; i++) {
                  device.publish(
                      "devices/acme/sensor-" + (i % 5) + "/reading", "{\"seq\":" + i + "}");
                  sent.incrementAndGet();
                }
              }
            },
            "device");
    // The bridge's session must exist before the device publishes, or the broker has no
    // subscriber to queue for: wait until its /readyz says subscribed.
    awaitReady(dir.resolve("first.log"));
    try (Device probe = Device.connect(port, 3)) {
      probe.publish("devices/acme/probe/reading", "{\"seq\":-1}");
    }
    publisher.start();
    await("a third of the messages went out", () -> sent.get() >= MESSAGES / 3);

    first.destroyForcibly(); // SIGKILL: no shutdown hook, nothing flushed
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    int arrivedBeforeRestart = pubsub.events.size();

    Process second = startBridge(uri, settings, pubsub, dir.resolve("second.log"));
    try {
      publisher.join(TimeUnit.MINUTES.toMillis(2));
      assertThat(sent.get()).isEqualTo(MESSAGES);
      await(
          "every message arrived (see " + dir + ")",
          () -> distinctSeqs(pubsub.events).size() == MESSAGES + 1);
    } finally {
      second.destroy(); // SIGTERM: the graceful stop
      second.waitFor(30, TimeUnit.SECONDS);
    }

    Map<String, String> idBySeq = new HashMap<>();
    for (PubsubMessage message : pubsub.events) {
      String seq = seq(message);
      String id = message.getAttributesOrThrow("event.id");
      assertThat(idBySeq.putIfAbsent(seq, id)).as("id of seq %s", seq).isIn(null, id);
    }
    assertThat(new HashSet<>(idBySeq.values())).hasSize(MESSAGES + 1);
    assertThat(arrivedBeforeRestart).isLessThan(MESSAGES + 1);
    assertThat(pubsub.deadLetters).isEmpty();
    assertThat(Files.readString(dir.resolve("second.log"))).doesNotContain("SEVERE");
  }

  /** Reads the child's HTTP port from its log and waits until its {@code /readyz} is 200. */
  private static void awaitReady(Path log) throws InterruptedException {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    await(
        "the bridge in the child JVM is ready (log: " + log + ")",
        () -> {
          try {
            java.util.regex.Matcher port =
                java.util.regex.Pattern.compile("http on port (\\d+)")
                    .matcher(Files.readString(log));
            if (!port.find()) {
              return false;
            }
            return http.send(
                        java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create(
                                    "http://127.0.0.1:" + port.group(1) + "/readyz"))
                            .build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding())
                    .statusCode()
                == 200;
          } catch (java.io.IOException e) {
            return false;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        });
  }

  private static String seq(PubsubMessage message) {
    try {
      return io.eventflow.common.pb.Event.parseFrom(message.getData())
          .getAttributesOrThrow("seq")
          .toString();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Set<String> distinctSeqs(List<PubsubMessage> messages) {
    Set<String> seqs = new HashSet<>();
    for (PubsubMessage message : messages) {
      seqs.add(seq(message));
    }
    return seqs;
  }
}
