package io.eventflow.broker;

import io.eventflow.broker.log.Repair;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embeddable broker that speaks the Pub/Sub v1 API: gRPC (what the official clients use with
 * {@code PUBSUB_EMULATOR_HOST}) and REST/JSON (what Beam's {@code PubsubIO} uses with {@code
 * --pubsubRootUrl}) on one port.
 *
 * <pre>{@code
 * try (Broker broker = Broker.start(BrokerConfig.builder().dataDir(dir).build())) {
 *   String emulatorHost = broker.hostAndPort(); // for PUBSUB_EMULATOR_HOST
 *   ...
 * }
 * }</pre>
 */
public final class Broker implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Broker.class);

  /** Pub/Sub accepts 10 MB publishes; leave room for the envelope so the limit error is ours. */
  private static final int MAX_INBOUND_MESSAGE_BYTES = 20 * 1024 * 1024;

  /** How long {@link #close()} lets in-flight calls finish before cutting them off. */
  private static final long DRAIN_SECONDS = 5;

  private final BrokerConfig config;
  private final BrokerEngine engine;
  private final BrokerMetrics metrics;
  private final Server server;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Broker(BrokerConfig config, BrokerEngine engine, BrokerMetrics metrics, Server server) {
    this.config = config;
    this.engine = engine;
    this.metrics = metrics;
    this.server = server;
  }

  /** Recovers the data directory (if any), binds the port and starts serving. */
  public static Broker start(BrokerConfig config) throws IOException {
    BrokerMetrics metrics = new BrokerMetrics();
    BrokerEngine engine;
    try {
      engine = BrokerEngine.open(config, metrics);
    } catch (IOException | RuntimeException e) {
      metrics.close();
      throw e;
    }
    Server server;
    try {
      server =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress(config.host(), config.port()),
                  InternalNettyServerCredentials.create(
                      new GrpcOrRestNegotiator(() -> new RestHandler(engine, metrics))))
              .addService(PublisherService.definition(engine))
              .addService(new SubscriberService(engine))
              // Calls, messages and latency by method and status, next to the broker's own meters.
              .intercept(new MetricCollectingServerInterceptor(metrics.registry()))
              .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
              // The official client pings idle streams; refusing pings would reset them.
              .permitKeepAliveTime(10, TimeUnit.SECONDS)
              .permitKeepAliveWithoutCalls(true)
              .build()
              .start();
    } catch (IOException | RuntimeException e) {
      engine.close();
      metrics.close();
      throw e;
    }
    Broker broker = new Broker(config, engine, metrics, server);
    logger.info(
        "eventflow-broker ready on {} ({}); export PUBSUB_EMULATOR_HOST={}",
        broker.hostAndPort(),
        config.dataDir().map(d -> "data in " + d + ", fsync " + config.fsync()).orElse("in memory"),
        broker.hostAndPort());
    return broker;
  }

  /** The port the broker listens on (the bound one when the config asked for port 0). */
  public int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  /** {@code host:port}, the value for {@code PUBSUB_EMULATOR_HOST}. */
  public String hostAndPort() {
    String host = config.host();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  /**
   * Returns how many messages published to a subscription's topic since its position are not yet
   * acknowledged (delivered or not). Embedders use it to wait until a consumer has caught up.
   *
   * @param subscription the full name, {@code projects/P/subscriptions/S}
   * @throws io.grpc.StatusRuntimeException NOT_FOUND if there is no such subscription
   */
  public long unacknowledged(String subscription) {
    return engine.unacknowledged(subscription);
  }

  /**
   * Returns how many unacknowledged messages of a subscription are not leased right now: never
   * delivered, or redeliverable because their lease expired or was nacked.
   *
   * @throws io.grpc.StatusRuntimeException NOT_FOUND if there is no such subscription
   */
  public long undelivered(String subscription) {
    return engine.undelivered(subscription);
  }

  /**
   * Acknowledges every message of a subscription that is leased right now, on behalf of its
   * consumer, and returns how many. Only for an embedder that knows the consumer has durably
   * processed everything it was given but acknowledges lazily: Beam's DirectRunner acks what a read
   * returned only when a later read returns data, so an idle job never acks its last batch.
   *
   * @throws io.grpc.StatusRuntimeException NOT_FOUND if there is no such subscription
   */
  public int acknowledgeLeased(String subscription) {
    return engine.acknowledgeLeased(subscription);
  }

  /**
   * What recovery repaired in the data directory when this broker started (empty when nothing was):
   * each entry names the file, the bytes cut and what they held. The same list is logged at start
   * and counted in {@code eventflow_broker_recovery_repairs_total} at {@code /metrics}.
   */
  public List<Repair> recoveryReport() {
    return engine.repairs();
  }

  /** {@code http://host:port/metrics}: the broker's meters in Prometheus text format. */
  public String metricsUrl() {
    return restRootUrl() + "/metrics";
  }

  /** {@code http://host:port}, the value for Beam's {@code --pubsubRootUrl}. */
  public String restRootUrl() {
    return "http://" + hostAndPort();
  }

  /**
   * Runs the background pass now instead of waiting for its timer (for operators, tests and
   * benchmarks): deletes expired snapshots and the log segments nothing needs, and compacts the
   * mostly unneeded ones. Returns when the pass is done.
   */
  public void applyRetention() throws IOException {
    engine.applyRetention();
  }

  /** Blocks until the server stops. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /**
   * Stops accepting calls, lets in-flight ones finish for up to five seconds, then closes every log
   * and journal. Everything acknowledged to a client is on disk (forced unless fsync is never).
   *
   * <p>Waiting Pulls and StreamingPull streams never finish by themselves: they are answered
   * UNAVAILABLE first (clients retry that), so the drain waits only for publishes, acks and the
   * other unary calls, which then complete against an engine that is still open.
   */
  @Override
  public void close() throws IOException {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.shutdown();
    engine.endStreams();
    try {
      if (!server.awaitTermination(DRAIN_SECONDS, TimeUnit.SECONDS)) {
        logger.warn("calls still running after {} s; cutting them off", DRAIN_SECONDS);
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      // Only now, with no call left to use them, are the logs and journals closed.
      engine.close();
      metrics.close();
    }
  }

  /** The engine, for tests in this package that observe or drive it directly. */
  BrokerEngine engine() {
    return engine;
  }
}
