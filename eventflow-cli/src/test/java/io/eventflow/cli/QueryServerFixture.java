package io.eventflow.cli;

import io.eventflow.timeseries.srv.ServerConfig;
import io.eventflow.timeseries.srv.TimeSeriesServer;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.PaneRecorder;
import io.eventflow.timeseries.store.jdbc.JdbcEntityStore;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalStore;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalWriter;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * The real query server ({@code eventflow-timeseries-srv}) on a free loopback port over a fresh
 * embedded (H2) store in a temporary directory, serving the entities table of the same database as
 * the local stack's does, with a writer that puts rows in the store the way the rollups job does.
 * The CLI reaches it through {@code --server}, as a user would.
 */
final class QueryServerFixture {
  /** The server's "now": the rows tests write are older, so every query is cacheable. */
  static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

  private final JdbcIntervalWriter writer;
  private final TimeSeriesServer server;
  private final PaneRecorder panes;

  private QueryServerFixture(String storeUrl) throws Exception {
    this.writer = JdbcIntervalWriter.open(storeUrl);
    this.panes = new PaneRecorder(writer);
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    this.server =
        new TimeSeriesServer(
                NettyServerBuilder.forAddress(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                JdbcIntervalStore.open(storeUrl, clock),
                JdbcEntityStore.open(storeUrl, clock),
                // Metrics endpoint off (-1); the gRPC port comes from the builder above.
                ServerConfig.defaults(storeUrl, 0, -1),
                clock)
            .start();
  }

  /** Starts a server over an empty store in {@code directory}. */
  static QueryServerFixture start(Path directory) throws Exception {
    return new QueryServerFixture(
        "jdbc:h2:file:" + directory.resolve("intervals").toAbsolutePath());
  }

  /** Returns the {@code --server} value that reaches this server. */
  String target() {
    return InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.port();
  }

  /**
   * Records one pane partial of a series for the minute starting at {@code minute}, as the rollups
   * job writes it: a minute row, the quarter-hour row of the same pane, and the catalog entry.
   */
  void record(String series, AggregateFunction function, String minute, double value, long events)
      throws Exception {
    panes.record(series, function, minute, value, events);
  }

  /** Stops the server (closing its store) and the writer. */
  void close() throws InterruptedException {
    server.stop();
    writer.close();
  }
}
