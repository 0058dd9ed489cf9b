package io.eventflow.timeseries.srv;

import io.eventflow.testing.ManualClock;
import io.eventflow.timeseries.api.TimeSeriesClient;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.PaneRecorder;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalStore;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalWriter;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The real server in-process over the real embedded (H2) store, with a writer to put rows in the
 * store the way the rollups job does, and the real client. One fixture per test.
 */
final class ServerFixture implements AutoCloseable {
  /** "Now" in every test: rows are written in early 2024, so their ranges are old. */
  static final Instant NOW = Instant.parse("2024-12-01T00:00:00Z");

  private static final AtomicLong databases = new AtomicLong();

  final String storeUrl;
  final ManualClock clock;
  final JdbcIntervalWriter writer;
  final TimeSeriesServer server;
  final TimeSeriesClient client;
  final ManagedChannel channel;
  private final PaneRecorder panes;
  private final List<ServerFixture> others = new ArrayList<>();

  private ServerFixture(
      String storeUrl,
      ManualClock clock,
      ServerConfig config,
      UnaryOperator<IntervalStore> wrapStore)
      throws Exception {
    this.storeUrl = storeUrl;
    this.clock = clock;
    this.writer = JdbcIntervalWriter.open(storeUrl);
    this.panes = new PaneRecorder(writer);
    String name = InProcessServerBuilder.generateName();
    this.server =
        new TimeSeriesServer(
                InProcessServerBuilder.forName(name).directExecutor(),
                wrapStore.apply(JdbcIntervalStore.open(storeUrl, clock)),
                config,
                clock)
            .start();
    this.channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    this.client = new TimeSeriesClient(channel);
  }

  /** Starts a server with default settings (no Redis, no metrics port) over a fresh database. */
  static ServerFixture start() throws Exception {
    return start(c -> c);
  }

  /** Starts a server with customized settings over a fresh database. */
  static ServerFixture start(UnaryOperator<ServerConfig> customize) throws Exception {
    return start(customize, store -> store);
  }

  /** Starts a server with customized settings over a fresh database seen through a wrapper. */
  static ServerFixture start(
      UnaryOperator<ServerConfig> customize, UnaryOperator<IntervalStore> wrapStore)
      throws Exception {
    String url = "jdbc:h2:mem:timeseries" + databases.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
    return new ServerFixture(
        url, new ManualClock(NOW), customize.apply(ServerConfig.defaults(url, 0, -1)), wrapStore);
  }

  /** Starts a second server (a replica) over the same database and clock, closed with this one. */
  ServerFixture replica(UnaryOperator<ServerConfig> customize) throws Exception {
    ServerFixture replica =
        new ServerFixture(
            storeUrl, clock, customize.apply(ServerConfig.defaults(storeUrl, 0, -1)), s -> s);
    others.add(replica);
    return replica;
  }

  /**
   * Records one pane partial of a series for the minute starting at {@code minute}, as the rollups
   * job writes it: a minute row, a quarter-hour row for the same pane, and the catalog.
   */
  void record(String series, AggregateFunction function, String minute, double value, long events)
      throws Exception {
    panes.record(series, function, minute, value, events);
  }

  /** Shuts the embedded database down under the server, as a lost store would. */
  void breakStore() throws Exception {
    try (Connection c = DriverManager.getConnection(storeUrl, "sa", "");
        Statement s = c.createStatement()) {
      s.execute("SHUTDOWN");
    }
  }

  @Override
  public void close() throws Exception {
    for (ServerFixture other : others) {
      other.close();
    }
    client.close();
    server.stop();
    writer.close();
  }
}
