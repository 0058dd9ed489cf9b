package io.eventflow.mqtt;

import io.moquette.BrokerConstants;
import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * An MQTT 3.1.1 broker in the process (Moquette 0.17), for the local stack and tests: plain TCP on
 * one address, anonymous clients, no telemetry.
 *
 * <p>Limits that come with Moquette 0.17, stated so nobody has to find them by measuring: MQTT 3.1
 * and 3.1.1 only (no MQTT 5, so no shared subscriptions or user properties), and at most 10
 * unacknowledged QoS 1 messages per session (its in-flight window is a constant), which caps one
 * bridge session at 10 messages per Pub/Sub round trip.
 */
public final class EmbeddedMqttBroker implements AutoCloseable {
  private final Server server;
  private final String host;
  private final int port;

  private EmbeddedMqttBroker(Server server, String host, int port) {
    this.server = server;
    this.host = host;
    this.port = port;
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
   * subscriptions and queued QoS 1 messages are written there (Moquette's segmented queues, and its
   * session store on H2's MVStore: the classes of the one H2, 2.5, every module uses; Moquette's
   * own MVStore 2.1 jar is excluded, it shadowed them) and survive a {@link #close()} and the next
   * start on the same directory. They do not survive a {@code kill -9}: Moquette 0.17 writes its
   * queue positions and session store only when it stops (measured: 0 of 500 queued messages came
   * back after a kill -9 with segmented queues, even 5 s after the last PUBACK; with its H2 queues
   * the restart failed with "Can't track for expiration a session without expiry instant"). Without
   * one ({@code null}), everything lives in memory.
   *
   * @throws IOException if the port cannot be bound or the directory cannot be created
   */
  public static EmbeddedMqttBroker start(String host, int port, Path dataDir) throws IOException {
    int bound = port != 0 ? port : freePort(host);
    Properties properties = new Properties();
    properties.setProperty(BrokerConstants.HOST_PROPERTY_NAME, host);
    properties.setProperty(BrokerConstants.PORT_PROPERTY_NAME, Integer.toString(bound));
    properties.setProperty(BrokerConstants.ALLOW_ANONYMOUS_PROPERTY_NAME, "true");
    properties.setProperty(
        BrokerConstants.WEB_SOCKET_PORT_PROPERTY_NAME, BrokerConstants.DISABLED_PORT_BIND);
    // Moquette 0.17 reports usage to its authors' server unless told not to.
    properties.setProperty(BrokerConstants.ENABLE_TELEMETRY_NAME, "false");
    if (dataDir == null) {
      properties.setProperty(BrokerConstants.PERSISTENCE_ENABLED_PROPERTY_NAME, "false");
    } else {
      Files.createDirectories(dataDir);
      properties.setProperty(BrokerConstants.PERSISTENCE_ENABLED_PROPERTY_NAME, "true");
      properties.setProperty(
          BrokerConstants.DATA_PATH_PROPERTY_NAME, dataDir.toAbsolutePath().toString());
      properties.setProperty(BrokerConstants.PERSISTENT_QUEUE_TYPE_PROPERTY_NAME, "segmented");
      properties.setProperty(BrokerConstants.AUTOSAVE_INTERVAL_PROPERTY_NAME, "1");
    }
    Server server = new Server();
    server.startServer(new MemoryConfig(properties));
    return new EmbeddedMqttBroker(server, host, bound);
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
   * Stops the broker; its sessions and queued messages are written to its data directory, if it has
   * one, and are otherwise gone.
   */
  @Override
  public void close() {
    server.stopServer();
  }
}
