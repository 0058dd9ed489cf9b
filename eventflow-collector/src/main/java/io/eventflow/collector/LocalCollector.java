package io.eventflow.collector;

import java.io.IOException;
import java.net.BindException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionException;

/**
 * The collector of the local stack: open (no API keys) and to any origin (CORS {@code *}), which is
 * safe only because it binds to loopback, publishing to the stack's Pub/Sub broker. A page served
 * from any local dev server can load {@code /eventflow.js} and track events into the stack.
 */
public final class LocalCollector implements AutoCloseable {
  private final CollectorServer server;

  private LocalCollector(CollectorServer server) {
    this.server = server;
  }

  /**
   * Starts the collector on {@code host:port} (0: a free port).
   *
   * @param host a loopback address; anything else is refused, since the collector is open
   * @param pubsubHostAndPort the local Pub/Sub broker
   * @param project the project of {@code eventsTopic}
   * @throws BindException if the port is in use
   * @throws IOException if the Pub/Sub client cannot be created
   * @throws IllegalArgumentException if {@code host} is not a loopback address
   */
  public static LocalCollector start(
      String host, int port, String pubsubHostAndPort, String project, String eventsTopic)
      throws IOException {
    CollectorConfig config =
        CollectorConfig.builder()
            .host(host)
            .port(port)
            .project(project)
            .emulatorHost(pubsubHostAndPort)
            .eventsTopic(eventsTopic)
            .corsOrigin("*")
            // Ctrl-C should stop the stack within seconds: a short quiet period, and requests in
            // flight (each waiting only for the local broker) finish well within 5 s.
            .shutdown(Duration.ofMillis(100), Duration.ofSeconds(5))
            .build();
    try {
      return new LocalCollector(CollectorServer.start(config, Clock.systemUTC()));
    } catch (CompletionException e) {
      if (e.getCause() instanceof BindException bind) {
        throw bind;
      }
      throw e;
    }
  }

  /** Returns the collector's {@code http://host:port}. */
  public String url() {
    return server.url();
  }

  /** Returns the collector's port. */
  public int port() {
    return server.port();
  }

  /** Returns the server, for its metrics. */
  public CollectorServer server() {
    return server;
  }

  /** Stops the collector, finishing its in-flight requests. */
  @Override
  public void close() {
    server.close();
  }
}
