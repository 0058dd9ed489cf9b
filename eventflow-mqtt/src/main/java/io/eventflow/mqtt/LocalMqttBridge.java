package io.eventflow.mqtt;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The MQTT part of the local stack: an embedded broker ({@link EmbeddedMqttBroker}, MQTT 3.1.1 and
 * 5) on the stack's address and the bridge subscribed to it over MQTT 5, publishing to the stack's
 * Pub/Sub broker. Devices and {@code mosquitto_pub} publish to it; their messages become events on
 * the events topic, and what is no event goes to {@value #DEAD_LETTER_TOPIC}.
 */
public final class LocalMqttBridge implements AutoCloseable {
  /** The local stack's dead-letter topic for the bridge. */
  public static final String DEAD_LETTER_TOPIC = BridgeConfig.DEFAULT_DEAD_LETTER_TOPIC;

  /** The subscription that keeps the bridge's dead letters (a topic alone keeps nothing). */
  public static final String DEAD_LETTER_SUBSCRIPTION = DEAD_LETTER_TOPIC + "-hold";

  private final EmbeddedMqttBroker broker;
  private final MqttBridge bridge;

  private LocalMqttBridge(EmbeddedMqttBroker broker, MqttBridge bridge) {
    this.broker = broker;
    this.bridge = bridge;
  }

  /**
   * Starts the broker on {@code host:port} and the bridge, and waits (at most 10 s, a bound for a
   * broken machine: it takes milliseconds) until the bridge is subscribed, so a message published
   * once this returns is delivered.
   *
   * @param dataDir where the embedded broker keeps sessions and queued messages across a stop, a
   *     kill -9 and the next start
   * @param templates the topic templates (see {@link TopicTemplate})
   * @param pubsubHostAndPort the local Pub/Sub broker
   * @param project the project of the events topic and {@link #DEAD_LETTER_TOPIC}
   * @param eventsTopic the topic events go to
   * @throws BindException if the port is in use
   * @throws IOException if the broker or the bridge cannot start
   */
  public static LocalMqttBridge start(
      String host,
      int port,
      Path dataDir,
      List<String> templates,
      String pubsubHostAndPort,
      String project,
      String eventsTopic)
      throws IOException, InterruptedException {
    BridgeConfig.Builder config =
        BridgeConfig.builder("tcp://" + host + ":1")
            .mqttVersion(5)
            .clientId("eventflow-local-bridge")
            .topics(eventsTopic, DEAD_LETTER_TOPIC)
            .project(project)
            .emulatorHost(pubsubHostAndPort)
            // A session moves at most its receive maximum (1,000) per Pub/Sub round trip, so a
            // batch must not wait long: a 1 ms delay instead of 10 ms moved 1,696 msgs/s instead
            // of 473 behind the earlier embedded broker's window of 10 (docs/BENCHMARKS.md). The
            // bridge also sends a batch as soon as it has taken every message that arrived.
            .publishBatchDelay(Duration.ofMillis(1))
            .reconnectDelays(Duration.ofMillis(100), Duration.ofSeconds(5));
    templates.forEach(config::template);
    EmbeddedMqttBroker broker = EmbeddedMqttBroker.start(host, port, dataDir);
    MqttBridge bridge;
    try {
      bridge = MqttBridge.start(config.port(broker.port()).build(), Clock.systemUTC());
    } catch (IOException | RuntimeException e) {
      broker.close();
      throw e;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!bridge.isReady()) {
      if (System.nanoTime() > deadline) {
        bridge.close();
        broker.close();
        throw new IOException("the MQTT bridge did not subscribe to the embedded broker in 10 s");
      }
      Thread.sleep(10);
    }
    return new LocalMqttBridge(broker, bridge);
  }

  /** Returns the embedded broker's {@code tcp://host:port}. */
  public String uri() {
    return broker.uri();
  }

  /** Returns the embedded broker's port. */
  public int port() {
    return broker.port();
  }

  /** Returns the bridge, for its metrics and readiness. */
  public MqttBridge bridge() {
    return bridge;
  }

  /** Stops the bridge (finishing its in-flight messages), then the broker. */
  @Override
  public void close() {
    bridge.close();
    broker.close();
  }
}
