package io.eventflow.timeseries.srv;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Serves {@code GET /metrics} (the registry's Prometheus scrape) on its own port with the JDK's
 * HTTP server, as Micrometer's Prometheus documentation does: one endpoint scraped every few
 * seconds needs no web framework.
 */
public final class MetricsHttpServer implements AutoCloseable {
  private final HttpServer server;

  private MetricsHttpServer(HttpServer server) {
    this.server = server;
  }

  /**
   * Starts serving {@code metrics} at {@code address} and {@code port} (0 picks a free one). The
   * local stack passes the loopback address; a container passes the wildcard address so the scraper
   * in another pod reaches it.
   *
   * @throws IOException if the port cannot be bound
   */
  public static MetricsHttpServer start(Metrics metrics, InetAddress address, int port)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 0);
    server.createContext("/metrics", exchange -> respond(exchange, metrics));
    server.start();
    return new MetricsHttpServer(server);
  }

  private static void respond(HttpExchange exchange, Metrics metrics) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET")) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
      // What PrometheusMeterRegistry.scrape() writes: the text format, version 0.0.4.
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Returns the address the server listens on. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Returns the port the server listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops the server at once: a scrape in flight is simply retried by Prometheus. */
  @Override
  public void close() {
    server.stop(0);
  }
}
