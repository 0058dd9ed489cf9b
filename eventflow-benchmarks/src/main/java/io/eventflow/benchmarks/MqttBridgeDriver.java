package io.eventflow.benchmarks;

import static java.nio.charset.StandardCharsets.UTF_8;

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
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * [max-lead] [warm-up] [hivemq|raw]}; defaults: embedded, 200,000 messages, 4 devices, the bridge's
 * 10 ms Pub/Sub batch delay, one session, no lead limit, a warm-up of 40,000 messages, devices on
 * the HiveMQ MQTT client ({@code raw}: hand-written MQTT packets on a plain socket, a cheaper load
 * generator). With a {@code max-lead} the devices wait while they are that many messages ahead of
 * the bridge's acknowledgements, so the MQTT broker never queues more than that for the bridge:
 * mosquitto 2.0.11 mishandles a session with queued messages (see docs/BENCHMARKS.md), and a
 * bounded lead measures what the bridge sustains rather than how deep a queue the broker can hold.
 * {@code mosquitto} runs Debian's broker as a process (MQTT 5, receive maximum 1,000), {@code
 * mosquitto3} the same over MQTT 3.1.1 ({@code max_inflight_messages 1000}). {@code embedded} is
 * the local stack's broker ({@link EmbeddedMqttBroker}, HiveMQ CE) in this JVM with its file
 * persistence under the temporary directory, as the local stack runs it, the bridge over MQTT 5;
 * {@code embedded3} the same over MQTT 3.1.1. With more than one session the bridge subscribes to
 * {@code $share/bench/devices/+/+/+}. {@code tcp://HOST:PORT} uses a broker already running
 * elsewhere (MQTT 5), e.g. {@link EmbeddedMqttBroker} in a JVM of its own.
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
    // 40,000, not 10,000: after 10,000 messages C2 was still compiling HiveMQ's, Xodus's and the
    // bridge's hot methods, and the compiler threads took 36% of the process's CPU during the
    // measured run (a JFR recording and /proc/PID/task/*/stat, docs/BENCHMARKS.md).
    int warmUp = args.length > 6 ? Integer.parseInt(args[6]) : 40_000;
    boolean rawDevices = args.length > 7 && args[7].equals("raw");
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
        hivemqInternals();
        EmbeddedMqttBroker embedded = EmbeddedMqttBroker.start("127.0.0.1", 0, dir.resolve("mqtt"));
        mqtt = embedded;
        uri = embedded.uri();
        version = mqttBroker.equals("embedded3") ? 3 : 5;
      } else if (mqttBroker.startsWith("tcp://")) {
        // A broker in another process (a process split: its CPU is then its own); MQTT 5.
        mqtt = () -> {};
        uri = mqttBroker;
        version = 5;
      } else {
        throw new IllegalArgumentException(
            "MQTT broker must be embedded, embedded3, mosquitto, mosquitto3 or tcp://HOST:PORT, got "
                + mqttBroker);
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
        run(pubsub, bridge, port, version, warmUp, devices, rawDevices, lead, "warm-up");
        run(pubsub, bridge, port, version, messages, devices, rawDevices, lead, "measured");
      }
    }
  }

  private static void run(
      Broker pubsub,
      MqttBridge bridge,
      int port,
      int version,
      int messages,
      int devices,
      boolean rawDevices,
      Lead lead,
      String label)
      throws Exception {
    double ackedBefore = bridge.registry().get("eventflow.mqtt.acked").counter().count();
    double publishCallsBefore = publishCalls(pubsub);
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpuBefore = os.getProcessCpuTime();
    double loadBefore = os.getSystemLoadAverage();
    long start = System.nanoTime();
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int d = 0; d < devices; d++) {
      done.add(
          rawDevices
              ? rawDevice(port, version, d, messages / devices, lead)
              : device(port, version, d, messages / devices, lead));
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
    double publishCalls = publishCalls(pubsub) - publishCallsBefore;
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
            + " done after %.2f s); ack latency (last minute)%s; CPU %.2f cores of %d, %.0f µs"
            + " a message; %,.0f Publish calls to the Pub/Sub broker, %.1f messages each; load"
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
        cpu / total * 1e6,
        publishCalls,
        total / publishCalls,
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

  /**
   * For measurements only: {@code -Dhivemq.NAME=VALUE} sets HiveMQ's {@code
   * InternalConfigurations.NAME} (an AtomicInteger, AtomicBoolean or int) before the embedded
   * broker starts, to try its persistence and flush settings without a build.
   */
  private static void hivemqInternals() throws ReflectiveOperationException {
    for (String property : System.getProperties().stringPropertyNames()) {
      if (!property.startsWith("hivemq.")) {
        continue;
      }
      String value = System.getProperty(property);
      var field =
          com.hivemq.configuration.service.InternalConfigurations.class.getField(
              property.substring("hivemq.".length()));
      Object holder = field.get(null);
      if (holder instanceof java.util.concurrent.atomic.AtomicInteger atomic) {
        atomic.set(Integer.parseInt(value));
      } else if (holder instanceof java.util.concurrent.atomic.AtomicBoolean atomic) {
        atomic.set(Boolean.parseBoolean(value));
      } else {
        field.setInt(null, Integer.parseInt(value));
      }
      System.out.println("HiveMQ " + field.getName() + " = " + value);
    }
  }

  /**
   * Publish calls the Pub/Sub broker has answered so far (its gRPC server's count, from its
   * Prometheus text): with the messages bridged, the bridge's mean Pub/Sub batch.
   */
  private static double publishCalls(Broker pubsub) throws Exception {
    HttpResponse<String> metrics =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(pubsub.metricsUrl())).build(),
            HttpResponse.BodyHandlers.ofString());
    double calls = 0;
    for (String line : metrics.body().split("\n")) {
      if (!line.startsWith("#") && line.contains("Publish\"") && line.contains("_count")) {
        calls += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return calls;
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /**
   * One device publishing {@code count} readings over a plain socket, at most {@link
   * #DEVICE_WINDOW} unacknowledged: MQTT packets written by hand into a buffer that is flushed when
   * the window is full or the device is done, PUBACKs read on a thread of its own. The HiveMQ
   * client as a device took 15% of the process's CPU (its Netty loop, RxJava and a future per
   * message); this takes a fraction of that, so more of the two cores go to what is measured.
   */
  private static CompletableFuture<Void> rawDevice(
      int port, int version, int id, int count, Lead lead) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread writer =
        new Thread(
            () -> {
              try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setTcpNoDelay(true);
                publishRaw(socket, version, id, count, lead);
                done.complete(null);
              } catch (Throwable e) {
                done.completeExceptionally(e);
              }
            },
            "bench-device-" + id);
    writer.setDaemon(true);
    writer.start();
    return done;
  }

  private static void publishRaw(Socket socket, int version, int id, int count, Lead lead)
      throws Exception {
    OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
    DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    ByteArrayOutputStream packet = new ByteArrayOutputStream(512);
    // CONNECT: protocol name, level (5 or 4 for 3.1.1), clean start, keep-alive 60 s, no
    // properties (MQTT 5), the client id.
    byte[] clientId = ("bench-device-" + id + "-" + System.nanoTime()).getBytes(UTF_8);
    packet.write(new byte[] {0, 4, 'M', 'Q', 'T', 'T', (byte) (version == 5 ? 5 : 4), 2, 0, 60});
    if (version == 5) {
      packet.write(0);
    }
    writeString(packet, clientId);
    writePacket(out, 0x10, packet);
    out.flush();
    int type = in.readUnsignedByte();
    byte[] connack = new byte[readLength(in)];
    in.readFully(connack);
    if (type != 0x20 || connack[1] != 0) {
      throw new IllegalStateException("CONNECT refused: type " + type + ", code " + connack[1]);
    }
    Semaphore window = new Semaphore(DEVICE_WINDOW);
    AtomicLong failed = new AtomicLong();
    Thread acks =
        new Thread(
            () -> {
              try {
                for (int acked = 0; acked < count; ) {
                  int header = in.readUnsignedByte();
                  byte[] body = new byte[readLength(in)];
                  in.readFully(body);
                  if (header == 0x40) {
                    // PUBACK: packet id, then (MQTT 5, optional) a reason code; 0x80+ is failure.
                    if (body.length > 2 && (body[2] & 0xFF) >= 0x80) {
                      failed.incrementAndGet();
                    }
                    acked++;
                    window.release();
                  }
                }
              } catch (IOException e) {
                failed.incrementAndGet();
                window.release(DEVICE_WINDOW);
              }
            },
            "bench-device-acks-" + id);
    acks.setDaemon(true);
    acks.start();
    byte[] topic = ("devices/acme/sensor-" + id + "/reading").getBytes(UTF_8);
    for (int i = 0; i < count; i++) {
      if (lead.limited()) {
        out.flush(); // the bridge cannot catch up with what is still in the buffer
      }
      lead.awaitRoom();
      if (!window.tryAcquire()) {
        out.flush();
        window.acquireUninterruptibly();
      }
      packet.reset();
      writeString(packet, topic);
      int packetId = i % 65_535 + 1; // ids of the window's 200 messages never collide
      packet.write(packetId >> 8);
      packet.write(packetId);
      if (version == 5) {
        packet.write(0); // no properties
      }
      packet.write(payload(id, i));
      writePacket(out, 0x32, packet); // PUBLISH, QoS 1
    }
    out.flush();
    acks.join();
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " publishes of device " + id + " failed");
    }
    out.write(new byte[] {(byte) 0xE0, 0}); // DISCONNECT
    out.flush();
  }

  private static void writeString(ByteArrayOutputStream packet, byte[] utf8) {
    packet.write(utf8.length >> 8);
    packet.write(utf8.length);
    packet.write(utf8, 0, utf8.length);
  }

  /** Writes a fixed header (type and flags, remaining length as a variable byte integer). */
  private static void writePacket(OutputStream out, int header, ByteArrayOutputStream body)
      throws IOException {
    out.write(header);
    int length = body.size();
    do {
      int digit = length % 128;
      length /= 128;
      out.write(length > 0 ? digit | 0x80 : digit);
    } while (length > 0);
    body.writeTo(out);
  }

  private static int readLength(DataInputStream in) throws IOException {
    int length = 0;
    for (int shift = 0; ; shift += 7) {
      int digit = in.readUnsignedByte();
      length |= (digit & 0x7F) << shift;
      if ((digit & 0x80) == 0) {
        return length;
      }
    }
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

    /** Whether devices may have to wait at all. */
    boolean limited() {
      return max != Long.MAX_VALUE;
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
