package io.eventflow.mqtt;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The bridge's HTTP endpoints on their own port, with the JDK's HTTP server as the query service's
 * metrics endpoint uses it: three GET routes scraped every few seconds need no web framework.
 *
 * <ul>
 *   <li>{@code /healthz}: 200 while the process runs (liveness: restart it when this fails);
 *   <li>{@code /readyz}: 200 while connected to the MQTT broker and subscribed, else 503 (a
 *       readiness probe or load balancer should wait);
 *   <li>{@code /metrics}: Prometheus text format.
 * </ul>
 */
public final class BridgeHttpServer implements AutoCloseable {
  private final HttpServer server;

  private BridgeHttpServer(HttpServer server) {
    this.server = server;
  }

  /**
   * Serves the bridge's endpoints on {@code host:port} (0 picks a free port).
   *
   * @throws IOException if the port cannot be bound
   */
  public static BridgeHttpServer start(MqttBridge bridge, String host, int port)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
    server.createContext("/healthz", exchange -> respond(exchange, 200, "ok\n", "text/plain"));
    server.createContext(
        "/readyz",
        exchange ->
            respond(
                exchange,
                bridge.isReady() ? 200 : 503,
                bridge.isReady() ? "ready\n" : "not connected and subscribed\n",
                "text/plain"));
    server.createContext(
        "/metrics",
        exchange ->
            respond(
                exchange,
                200,
                bridge.registry().scrape(),
                "text/plain; version=0.0.4; charset=utf-8"));
    server.start();
    return new BridgeHttpServer(server);
  }

  private static void respond(HttpExchange exchange, int status, String body, String type)
      throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET")) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** Returns the port the server listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops the server at once: a probe in flight is simply retried. */
  @Override
  public void close() {
    server.stop(0);
  }
}
