package io.eventflow.benchmarks;

import com.google.pubsub.v1.TopicName;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import io.eventflow.broker.Broker;
import io.eventflow.broker.BrokerConfig;
import io.eventflow.mqtt.BridgeConfig;
import io.eventflow.mqtt.EmbeddedMqttBroker;
import io.eventflow.mqtt.MqttBridge;
import io.eventflow.publisher.PubSubAdmin;
import io.eventflow.testing.MosquittoProcess;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Load driver for the MQTT bridge: devices publish QoS 1 messages of 300 bytes (a JSON reading
 * padded to size) to an MQTT broker as fast as the broker takes them, the bridge maps each to an
 * event, publishes it to eventflow-broker (durable, under a temporary directory) and acknowledges
 * it after the publish is confirmed. It reports bridged messages/s (PUBACKs the bridge sent per
 * second, steady state after a warm-up), the bridge's ack latency p50/p99 (receipt to PUBACK) and
 * the process's CPU. Everything runs in this one JVM, as in the local stack.
 *
 * <p>{@code java -cp eventflow-benchmarks.jar io.eventflow.benchmarks.MqttBridgeDriver
 * [embedded|embedded3|mosquitto|mosquitto3] [messages] [devices] [batch-delay-ms] [sessions]
 * [max-lead]}; defaults: embedded, 200,000 messages, 4 devices, the bridge's 10 ms Pub/Sub batch
 * delay, one session, no lead limit. With a {@code max-lead} the devices wait while they are that
 * many messages ahead of the bridge's acknowledgements, so the MQTT broker never queues more than
 * that for the bridge: mosquitto 2.0.11 mishandles a session with queued messages (see
 * docs/BENCHMARKS.md), and a bounded lead measures what the bridge sustains rather than how deep a
 * queue the broker can hold. {@code mosquitto} runs Debian's broker as a process (MQTT 5, receive
 * maximum 1,000), {@code mosquitto3} the same over MQTT 3.1.1 ({@code max_inflight_messages 1000}).
 * {@code embedded} is the local stack's broker ({@link EmbeddedMqttBroker}, HiveMQ CE) in this JVM
 * with its file persistence under the temporary directory, as the local stack runs it, the bridge
 * over MQTT 5; {@code embedded3} the same over MQTT 3.1.1. With more than one session the bridge
 * subscribes to {@code $share/bench/devices/+/+/+}.
 */
public final class MqttBridgeDriver {
  private static final int PAYLOAD_BYTES = 300;

  /** Unacknowledged publishes per device: enough to keep a broker busy, bounded like a device. */
  private static final int DEVICE_WINDOW = 200;

  private MqttBridgeDriver() {}

  /** Runs the driver; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    String mqttBroker = args.length > 0 ? args[0] : "embedded";
    int messages = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    int devices = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    Duration batchDelay = Duration.ofMillis(args.length > 3 ? Long.parseLong(args[3]) : 10);
    int sessions = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    long maxLead = args.length > 5 ? Long.parseLong(args[5]) : Long.MAX_VALUE;
    Path dir = Files.createTempDirectory("mqtt-bridge-driver");
    try (Broker pubsub =
        Broker.start(BrokerConfig.builder().port(0).dataDir(dir.resolve("broker")).build())) {
      createTopics(pubsub.hostAndPort());
      AutoCloseable mqtt;
      String uri;
      int version;
      if (mqttBroker.startsWith("mosquitto")) {
        // Unlimited queue: mosquitto's default of 1,000 queued messages per session drops QoS 1
        // messages beyond it while the bridge is behind. For MQTT 3.1.1 (mosquitto3) its
        // in-flight window is max_inflight_messages, set to the bridge's receive maximum.
        MosquittoProcess mosquitto =
            MosquittoProcess.start("max_queued_messages 0", "max_inflight_messages 1000");
        mqtt = mosquitto;
        uri = mosquitto.uri();
        version = mqttBroker.equals("mosquitto3") ? 3 : 5;
      } else if (mqttBroker.startsWith("embedded")) {
        EmbeddedMqttBroker embedded = EmbeddedMqttBroker.start("127.0.0.1", 0, dir.resolve("mqtt"));
        mqtt = embedded;
        uri = embedded.uri();
        version = mqttBroker.equals("embedded3") ? 3 : 5;
      } else {
        throw new IllegalArgumentException(
            "MQTT broker must be embedded, embedded3, mosquitto or mosquitto3, got " + mqttBroker);
      }
      BridgeConfig.Builder config =
          BridgeConfig.builder(uri)
              .mqttVersion(version)
              .project("bench")
              .emulatorHost(pubsub.hostAndPort())
              .topics("events", "mqtt-dead-letters")
              .publishBatchDelay(batchDelay)
              .sessions(sessions);
      if (sessions > 1) {
        config.filter("$share/bench/devices/+/+/+");
      }
      try (mqtt;
          MqttBridge bridge = MqttBridge.start(config.build(), Clock.systemUTC())) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!bridge.isReady()) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the bridge did not subscribe in 10 s");
          }
          Thread.sleep(10);
        }
        int port = Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1));
        // Warm-up: JIT, connection pools, the broker's first segments.
        Lead lead = new Lead(bridge, maxLead);
        run(bridge, port, version, Math.max(messages / 10, 10_000), devices, lead, "warm-up");
        run(bridge, port, version, messages, devices, lead, "measured");
      }
    }
  }

  private static void run(
      MqttBridge bridge, int port, int version, int messages, int devices, Lead lead, String label)
      throws Exception {
    double ackedBefore = bridge.registry().get("eventflow.mqtt.acked").counter().count();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpuBefore = os.getProcessCpuTime();
    double loadBefore = os.getSystemLoadAverage();
    long start = System.nanoTime();
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int d = 0; d < devices; d++) {
      done.add(device(port, version, d, messages / devices, lead));
    }
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(30, TimeUnit.MINUTES);
    long published = System.nanoTime();
    int total = (messages / devices) * devices;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (bridge.registry().get("eventflow.mqtt.acked").counter().count() - ackedBefore < total) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the bridge did not acknowledge every message in 10 min");
      }
      Thread.sleep(5);
    }
    long end = System.nanoTime();
    double seconds = (end - start) / 1e9;
    double cpu = (os.getProcessCpuTime() - cpuBefore) / 1e9;
    Timer latency = bridge.registry().get("eventflow.mqtt.ack.latency").timer();
    StringBuilder percentiles = new StringBuilder();
    for (ValueAtPercentile p : latency.takeSnapshot().percentileValues()) {
      percentiles.append(
          String.format(
              Locale.ROOT, " p%.0f %.1f ms", p.percentile() * 100, p.value(TimeUnit.MILLISECONDS)));
    }
    System.out.printf(
        Locale.ROOT,
        "%s: %,d messages of %d bytes from %d devices bridged in %.2f s = %,.0f msgs/s (devices"
            + " done after %.2f s); ack latency (last minute)%s; CPU %.2f cores of %d; load"
            + " average %.2f before, %.2f after%n",
        label,
        total,
        PAYLOAD_BYTES,
        devices,
        seconds,
        total / seconds,
        (published - start) / 1e9,
        percentiles,
        cpu / seconds,
        Runtime.getRuntime().availableProcessors(),
        loadBefore,
        os.getSystemLoadAverage());
  }

  /**
   * One device publishing {@code count} readings, at most {@link #DEVICE_WINDOW} unacknowledged.
   */
  private static CompletableFuture<Void> device(
      int port, int version, int id, int count, Lead lead) {
    return CompletableFuture.runAsync(
        () -> {
          var builder =
              MqttClient.builder()
                  .identifier("bench-device-" + id + "-" + System.nanoTime())
                  .serverHost("127.0.0.1")
                  .serverPort(port);
          Semaphore window = new Semaphore(DEVICE_WINDOW);
          String topic = "devices/acme/sensor-" + id + "/reading";
          if (version == 5) {
            var client = builder.useMqttVersion5().buildAsync();
            client.connect().join();
            for (int i = 0; i < count; i++) {
              lead.awaitRoom();
              window.acquireUninterruptibly();
              client
                  .publishWith()
                  .topic(topic)
                  .qos(MqttQos.AT_LEAST_ONCE)
                  .payload(payload(id, i))
                  .send()
                  .whenComplete((r, e) -> window.release());
            }
            window.acquireUninterruptibly(DEVICE_WINDOW);
            client.disconnect().join();
          } else {
            Mqtt3AsyncClient client = builder.useMqttVersion3().buildAsync();
            client.connect().join();
            for (int i = 0; i < count; i++) {
              lead.awaitRoom();
              window.acquireUninterruptibly();
              client
                  .publishWith()
                  .topic(topic)
                  .qos(MqttQos.AT_LEAST_ONCE)
                  .payload(payload(id, i))
                  .send()
                  .whenComplete((r, e) -> window.release());
            }
            window.acquireUninterruptibly(DEVICE_WINDOW);
            client.disconnect().join();
          }
        });
  }

  /** Holds the devices back while they are {@code max} messages ahead of the bridge's acks. */
  private static final class Lead {
    private final Counter acked;
    private final long max;
    private final AtomicLong published = new AtomicLong();

    Lead(MqttBridge bridge, long max) {
      this.acked = bridge.registry().get("eventflow.mqtt.acked").counter();
      this.max = max;
    }

    /** Waits for room, then counts one message as published. */
    void awaitRoom() {
      if (max != Long.MAX_VALUE) {
        while (published.get() - (long) acked.count() >= max) {
          LockSupport.parkNanos(100_000);
        }
      }
      published.incrementAndGet();
    }
  }

  /** A JSON reading padded to {@link #PAYLOAD_BYTES}; the sequence number makes each unique. */
  static byte[] payload(int device, int seq) {
    String head =
        "{\"seq\":" + seq + ",\"device\":" + device + ",\"temp\":21.5,\"humidity\":40,\"pad\":\"";
    StringBuilder json = new StringBuilder(PAYLOAD_BYTES).append(head);
    while (json.length() < PAYLOAD_BYTES - 2) {
      json.append('x');
    }
    return json.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void createTopics(String hostAndPort) throws Exception {
    try (PubSubAdmin admin = PubSubAdmin.connect(hostAndPort)) {
      for (String topic : List.of("events", "mqtt-dead-letters")) {
        // A subscription, so the broker stores what the bridge publishes, as in production.
        admin.createTopicAndSubscription(TopicName.of("bench", topic), topic + "-sub");
      }
    }
  }
}
