package io.eventflow.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.eventflow.testing.Await;
import io.eventflow.testing.FreePort;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker with a data directory, as the local stack runs it: QoS 1 messages a device
 * published (and the broker acknowledged) for a persistent session that is offline, as the bridge
 * is while the stack stops, are delivered to that session after the broker restarts on the same
 * directory, whether it was stopped or its process killed.
 */
class EmbeddedMqttBrokerTest {
  private static final int MESSAGES = 200;
  private static final String FILTER = "devices/#";

  @TempDir Path dir;

  /** The bridge's session: a stable client id, clean start off, a session expiry of an hour. */
  private static Mqtt5BlockingClient bridgeSession(int port) {
    return MqttClient.builder()
        .identifier("bridge")
        .serverHost("127.0.0.1")
        .serverPort(port)
        .useMqttVersion5()
        .buildBlocking();
  }

  /** Creates the bridge's session with its subscription, then leaves it offline. */
  private static void subscribeAndLeave(int port) {
    Mqtt5BlockingClient bridge = bridgeSession(port);
    bridge.connectWith().cleanStart(false).sessionExpiryInterval(3_600).send();
    bridge.subscribeWith().topicFilter(FILTER).qos(MqttQos.AT_LEAST_ONCE).send();
    bridge.disconnect();
  }

  /** A device publishes {@link #MESSAGES} readings at QoS 1, each acknowledged by the broker. */
  private static void publishReadings(int port) {
    try (Device device = Device.connect(port, 5)) {
      for (int i = 0; i < MESSAGES; i++) {
        device.publish("devices/acme/sensor-1/reading", "{\"n\":" + i + "}");
      }
    }
  }

  /** Resumes the bridge's session and returns the distinct payloads delivered to it. */
  private static Set<String> resumeAndReceive(int port) throws InterruptedException {
    Mqtt5BlockingClient bridge = bridgeSession(port);
    Set<String> received = new HashSet<>();
    try (Mqtt5BlockingClient.Mqtt5Publishes publishes =
        bridge.publishes(MqttGlobalPublishFilter.ALL)) {
      bridge.connectWith().cleanStart(false).sessionExpiryInterval(3_600).send();
      while (received.size() < MESSAGES) {
        Optional<Mqtt5Publish> message = publishes.receive(10, TimeUnit.SECONDS);
        if (message.isEmpty()) {
          break;
        }
        received.add(new String(message.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
      }
    }
    bridge.disconnect();
    return received;
  }

  /**
   * A closed broker leaves no thread behind that keeps a JVM alive: the local stack must exit once
   * its main returns.
   */
  @Test
  void closeLeavesNoNonDaemonThread() throws Exception {
    Set<Thread> before = nonDaemonThreads();
    try (EmbeddedMqttBroker broker = EmbeddedMqttBroker.start("127.0.0.1", 0, dir)) {
      subscribeAndLeave(broker.port());
      publishReadings(broker.port());
    }
    Await.until(
        "HiveMQ's non-daemon threads ended",
        () -> {
          Set<Thread> left = nonDaemonThreads();
          left.removeAll(before);
          return left.isEmpty();
        });
  }

  private static Set<Thread> nonDaemonThreads() {
    Set<Thread> threads = new HashSet<>();
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (!thread.isDaemon() && thread.isAlive()) {
        threads.add(thread);
      }
    }
    return threads;
  }

  @Test
  void queuedMessagesOfAPersistentSessionSurviveAStopAndStart() throws Exception {
    int port;
    try (EmbeddedMqttBroker broker = EmbeddedMqttBroker.start("127.0.0.1", 0, dir)) {
      port = broker.port();
      subscribeAndLeave(port);
      publishReadings(port);
    }

    try (EmbeddedMqttBroker broker = EmbeddedMqttBroker.start("127.0.0.1", port, dir)) {
      assertThat(resumeAndReceive(port)).hasSize(MESSAGES).contains("{\"n\":0}", "{\"n\":199}");
    }
  }

  /**
   * The broker runs in a child JVM, which is killed with SIGKILL right after the last PUBACK: no
   * shutdown hook, nothing written at stop. A broker started in this JVM on the same directory
   * delivers every acknowledged message.
   */
  @Test
  void queuedMessagesOfAPersistentSessionSurviveAKillOfTheBrokersProcess() throws Exception {
    int port = FreePort.loopback();
    Process child = startChild(port, dir.resolve("mqtt"), dir.resolve("child.log"));
    try {
      subscribeAndLeave(port);
      publishReadings(port);
    } finally {
      child.destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(1, TimeUnit.MINUTES)).isTrue();
    }

    try (EmbeddedMqttBroker broker =
        EmbeddedMqttBroker.start("127.0.0.1", port, dir.resolve("mqtt"))) {
      assertThat(resumeAndReceive(port)).hasSize(MESSAGES).contains("{\"n\":0}", "{\"n\":199}");
    }
  }

  /**
   * Starts {@link ChildBroker} in a child JVM, its output in {@code log}, and waits until it prints
   * its ready line.
   */
  private static Process startChild(int port, Path dataDir, Path log) throws Exception {
    Process child =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    ChildBroker.class.getName(),
                    Integer.toString(port),
                    dataDir.toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    Await.until(
        "the broker's child JVM is ready or gone (log: " + log + ")",
        () -> !child.isAlive() || read(log).contains(ChildBroker.READY));
    if (!child.isAlive()) {
      throw new AssertionError("the broker's child JVM exited before it was ready:\n" + read(log));
    }
    return child;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The embedded broker alone in a JVM of its own: {@code ChildBroker PORT DATA_DIR}. */
  static final class ChildBroker {
    static final String READY = "embedded MQTT broker ready";

    public static void main(String[] args) throws Exception {
      EmbeddedMqttBroker.start("127.0.0.1", Integer.parseInt(args[0]), Path.of(args[1]));
      System.out.println(READY);
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
