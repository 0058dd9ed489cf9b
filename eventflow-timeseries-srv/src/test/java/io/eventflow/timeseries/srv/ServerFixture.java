package io.eventflow.timeseries.srv;

import io.eventflow.testing.ManualClock;
import io.eventflow.timeseries.api.TimeSeriesClient;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.PaneRecorder;
import io.eventflow.timeseries.store.jdbc.JdbcEntityStore;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalStore;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalWriter;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The real server over the real embedded (H2) store, with a writer to put rows in the store the way
 * the rollups job does, and the real client. One fixture per test. The query service's own tests
 * run it in-process on a {@link ManualClock}; other modules ({@code eventflow series} and {@code
 * eventflow entities} in the CLI) get it from this module's test-jar and run it on a free loopback
 * port ({@link #startOnLoopback}), serving {@code EntityService} over the same database.
 */
public final class ServerFixture implements AutoCloseable {
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
      UnaryOperator<IntervalStore> wrapStore,
      boolean onLoopback,
      boolean entities)
      throws Exception {
    this.storeUrl = storeUrl;
    this.clock = clock;
    this.writer = JdbcIntervalWriter.open(storeUrl);
    this.panes = new PaneRecorder(writer);
    String name = InProcessServerBuilder.generateName();
    this.server =
        new TimeSeriesServer(
                onLoopback
                    ? NettyServerBuilder.forAddress(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    : InProcessServerBuilder.forName(name).directExecutor(),
                wrapStore.apply(JdbcIntervalStore.open(storeUrl, clock)),
                entities ? JdbcEntityStore.open(storeUrl, clock) : null,
                config,
                clock)
            .start();
    this.channel =
        onLoopback
            ? ManagedChannelBuilder.forTarget(target()).usePlaintext().build()
            : InProcessChannelBuilder.forName(name).directExecutor().build();
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
    String url = freshDatabase();
    return new ServerFixture(
        url,
        new ManualClock(NOW),
        customize.apply(ServerConfig.defaults(url, 0, -1)),
        wrapStore,
        false,
        false);
  }

  /**
   * Starts a server with default settings over a fresh database that also serves {@code
   * EntityService} over the database's entities table.
   */
  static ServerFixture startWithEntities() throws Exception {
    String url = freshDatabase();
    return new ServerFixture(
        url, new ManualClock(NOW), ServerConfig.defaults(url, 0, -1), s -> s, false, true);
  }

  /**
   * Starts a server with default settings on a free loopback port over a fresh database, serving
   * the entities table of the same database too (as the local stack's does), with its clock
   * standing at {@code now}: a client in another module reaches it at {@link #target()}.
   */
  public static ServerFixture startOnLoopback(Instant now) throws Exception {
    String url = freshDatabase();
    // Metrics endpoint off (-1); the gRPC port comes from the server builder.
    return new ServerFixture(
        url, new ManualClock(now), ServerConfig.defaults(url, 0, -1), s -> s, true, true);
  }

  private static String freshDatabase() {
    return "jdbc:h2:mem:timeseries" + databases.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
  }

  /** Returns the {@code host:port} of a server started on loopback. */
  public String target() {
    return InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.port();
  }

  /** Starts a second server (a replica) over the same database and clock, closed with this one. */
  ServerFixture replica(UnaryOperator<ServerConfig> customize) throws Exception {
    ServerFixture replica =
        new ServerFixture(
            storeUrl,
            clock,
            customize.apply(ServerConfig.defaults(storeUrl, 0, -1)),
            s -> s,
            false,
            false);
    others.add(replica);
    return replica;
  }

  /**
   * Records one pane partial of a series for the minute starting at {@code minute}, as the rollups
   * job writes it: a minute row, a quarter-hour row for the same pane, and the catalog.
   */
  public void record(
      String series, AggregateFunction function, String minute, double value, long events)
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

  /** Stops the server (closing its stores), its replicas, the client and the writer. */
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
