package io.eventflow.mqtt;

import com.hivemq.configuration.service.InternalConfigurations;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.migration.meta.PersistenceType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * An MQTT 3.1.1 and 5 broker in the process (HiveMQ Community Edition 2025.5, embedded), for the
 * local stack and tests: plain TCP on one address, anonymous clients, no usage statistics, no
 * extensions, its logging at WARNING.
 *
 * <p>With a data directory it runs HiveMQ's file persistence there: sessions, subscriptions and
 * queued QoS 1 messages are written (Xodus) before the PUBACK to the device, so they survive a
 * {@code kill -9} of the process and come back on the next start on the same directory.
 */
public final class EmbeddedMqttBroker implements AutoCloseable {
  /**
   * Unacknowledged QoS 1 messages HiveMQ sends one session, whatever the session's receive maximum
   * (HiveMQ's own default is 50). The bridge's receive maximum, 1,000 by default, bounds it per
   * session; a device's QoS 1 publishes to the broker are bounded by the same figure.
   */
  static final int IN_FLIGHT_WINDOW = BridgeConfig.DEFAULT_RECEIVE_MAXIMUM;

  /** What HiveMQ's stop waits for late persistence tasks once its listeners closed. */
  static final int SHUTDOWN_GRACE_MILLIS = 100;

  /**
   * HiveMQ's loggers ("migrations" is its own, not a class's) and its libraries', set to WARNING
   * and held so the levels stay set (java.util.logging keeps loggers weakly): HiveMQ logs every
   * start, stop and persistence step at INFO, which would drown the local stack's output.
   */
  private static final List<Logger> QUIET_LOGGERS =
      Stream.of("com.hivemq", "migrations", "jetbrains.exodus", "oshi")
          .map(Logger::getLogger)
          .toList();

  static {
    QUIET_LOGGERS.forEach(logger -> logger.setLevel(Level.WARNING));
  }

  private final EmbeddedHiveMQ hivemq;
  private final String host;
  private final int port;
  private final Path ownDir;

  private EmbeddedMqttBroker(EmbeddedHiveMQ hivemq, String host, int port, Path ownDir) {
    this.hivemq = hivemq;
    this.host = host;
    this.port = port;
    this.ownDir = ownDir;
  }

  /**
   * Starts a broker on {@code host:port} (0 picks a free port) keeping sessions and queued messages
   * in memory only.
   *
   * @throws IOException if the port cannot be bound
   */
  public static EmbeddedMqttBroker start(String host, int port) throws IOException {
    return start(host, port, null);
  }

  /**
   * Starts a broker on {@code host:port} (0 picks a free port). With a data directory, sessions,
   * subscriptions and queued QoS 1 messages are kept there and survive a {@link #close()}, a {@code
   * kill -9} and the next start on the same directory; without one ({@code null}), everything lives
   * in memory.
   *
   * @throws IOException if the port cannot be bound or the directory cannot be written
   */
  public static EmbeddedMqttBroker start(String host, int port, Path dataDir) throws IOException {
    int bound = port != 0 ? port : freePort(host);
    Path ownDir = dataDir == null ? Files.createTempDirectory("eventflow-mqtt") : null;
    Path root = dataDir != null ? dataDir : ownDir;
    Path conf = Files.createDirectories(root.resolve("conf"));
    Path extensions = Files.createDirectories(root.resolve("extensions"));
    Path data = Files.createDirectories(root.resolve("data"));
    Files.writeString(
        conf.resolve("config.xml"),
        config(host, bound, dataDir == null ? "in-memory" : "file"),
        StandardCharsets.UTF_8);
    configureInternals();
    // HiveMQ replaces the JVM's default uncaught-exception handler with one that exits on its own
    // errors; the local stack is more than the broker, so the previous one is put back.
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    EmbeddedHiveMQ hivemq =
        EmbeddedHiveMQ.builder()
            .withConfigurationFolder(conf)
            .withDataFolder(data)
            .withExtensionsFolder(extensions)
            // Logging stays with the process's SLF4J binding (java.util.logging), not logback.
            .withoutLoggingBootstrap()
            .build();
    try {
      hivemq.start().get();
    } catch (ExecutionException e) {
      closeQuietly(hivemq);
      deleteQuietly(ownDir);
      throw new IOException(
          "the embedded MQTT broker did not start on "
              + host
              + ":"
              + bound
              + ": "
              + e.getCause().getMessage(),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(hivemq);
      deleteQuietly(ownDir);
      throw new IOException("interrupted while the embedded MQTT broker started", e);
    } finally {
      Thread.setDefaultUncaughtExceptionHandler(previous);
    }
    return new EmbeddedMqttBroker(hivemq, host, bound, ownDir);
  }

  /**
   * HiveMQ's settings that are no part of its XML configuration (static, so for every embedded
   * broker of the JVM; all of them start the same way).
   */
  private static void configureInternals() {
    InternalConfigurations.MAX_INFLIGHT_WINDOW_SIZE_MESSAGES = IN_FLIGHT_WINDOW;
    // Xodus rather than RocksDB for message payloads and retained messages: the local stack's Flink
    // brings its own RocksDB build (frocksdbjni) in the same org.rocksdb package, and the two
    // cannot share a class path. Sessions and queues are on Xodus in any case.
    InternalConfigurations.PAYLOAD_PERSISTENCE_TYPE.set(PersistenceType.FILE);
    InternalConfigurations.RETAINED_MESSAGE_PERSISTENCE_TYPE.set(PersistenceType.FILE);
    // HiveMQ's stop waits this long after its listeners closed before it closes its stores, for
    // tasks submitted just before (2 s by default, 2.3-2.5 s of a 4.5-4.9 s close measured). By
    // then no client is connected, and a QoS 1 message is acknowledged to its device only after it
    // was stored, so a task that misses the shorter wait is one no device was told had succeeded.
    InternalConfigurations.PERSISTENCE_SHUTDOWN_GRACE_PERIOD_MSEC.set(SHUTDOWN_GRACE_MILLIS);
  }

  private static String config(String host, int port, String persistence) {
    return """
        <?xml version="1.0"?>
        <hivemq>
          <listeners>
            <tcp-listener>
              <port>%d</port>
              <bind-address>%s</bind-address>
            </tcp-listener>
          </listeners>
          <mqtt>
            <queued-messages>
              <!-- Messages queued for an offline or slow session (HiveMQ's default, 1,000, drops
                   QoS 1 messages beyond it while the bridge is away). -->
              <max-queue-size>10000000</max-queue-size>
            </queued-messages>
            <receive-maximum>
              <server-receive-maximum>%d</server-receive-maximum>
            </receive-maximum>
          </mqtt>
          <persistence>
            <mode>%s</mode>
          </persistence>
          <anonymous-usage-statistics>
            <enabled>false</enabled>
          </anonymous-usage-statistics>
        </hivemq>
        """
        .formatted(port, host, IN_FLIGHT_WINDOW, persistence);
  }

  private static int freePort(String host) throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return socket.getLocalPort();
    }
  }

  /** Returns the broker's {@code tcp://host:port}. */
  public String uri() {
    return "tcp://" + host + ":" + port;
  }

  /** Returns the port the broker listens on. */
  public int port() {
    return port;
  }

  /**
   * Stops the broker; its sessions and queued messages stay in its data directory, if it has one,
   * and are otherwise gone.
   */
  @Override
  public void close() {
    closeQuietly(hivemq);
    deleteQuietly(ownDir);
  }

  private static void closeQuietly(EmbeddedHiveMQ hivemq) {
    try {
      hivemq.close();
    } catch (ExecutionException e) {
      throw new IllegalStateException("the embedded MQTT broker failed to stop", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
