package io.eventflow.timeseries.srv;

import io.eventflow.timeseries.api.pb.TimeSeriesServiceGrpc;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.StoreException;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The time-series query server: {@code TimeSeriesService}, the gRPC health service and server
 * reflection on one port, Prometheus metrics on another. {@link #main} reads the environment (see
 * {@link ServerConfig}), serves until SIGTERM, then drains calls in flight for the shutdown grace.
 */
public final class TimeSeriesServer {
  private static final Logger logger = Logger.getLogger(TimeSeriesServer.class.getName());

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final IntervalStore store;
  private final RedisCache redis;
  private final ServerConfig config;
  private final Metrics metrics = new Metrics();
  private MetricsHttpServer metricsServer;

  /**
   * Creates a server on the given transport (Netty for production, in-process for tests) over a
   * store it takes over and closes on {@link #stop()}.
   */
  public TimeSeriesServer(
      ServerBuilder<?> transport, IntervalStore store, ServerConfig config, Clock clock) {
    this.store = store;
    this.config = config;
    this.redis =
        config.redisUrl() == null
            ? null
            : RedisCache.connect(
                config.redisUrl(),
                config.redisTimeout(),
                config.cacheTtl(),
                config.redisBackoff(),
                clock,
                metrics);
    IntervalValuesReader reader =
        new IntervalValuesReader(store, config.maxBuckets(), clock, metrics);
    QueryCache cache =
        new QueryCache(
            config.cacheL1Bytes(), config.cacheTtl(), config.cacheMinAge(), redis, clock, metrics);
    TimeSeriesServiceImpl service = new TimeSeriesServiceImpl(store, reader, cache);
    this.server =
        transport
            .addService(
                ServerInterceptors.intercept(
                    service, new MetricsInterceptor(metrics, System::nanoTime)))
            .addService(health.getHealthService())
            // Reflection lets grpcurl and Postman call the service without the .proto file.
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
  }

  /**
   * Starts serving, marks the service healthy, and starts the metrics endpoint unless disabled.
   *
   * @throws IOException if a port cannot be bound
   */
  public TimeSeriesServer start() throws IOException {
    server.start();
    if (config.metricsPort() >= 0) {
      metricsServer = MetricsHttpServer.start(metrics, config.metricsPort());
    }
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(TimeSeriesServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    logger.info(
        "serving on port "
            + server.getPort()
            + (metricsServer == null ? "" : ", metrics on port " + metricsServer.port()));
    return this;
  }

  /**
   * Stops accepting calls, reports NOT_SERVING to health checks, waits up to the shutdown grace for
   * calls in flight, cancels the rest, and closes the metrics endpoint, Redis and the store.
   */
  public void stop() throws InterruptedException {
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
        logger.warning("calls still running after " + config.shutdownGrace() + "; cancelling");
        server.shutdownNow();
        server.awaitTermination(1, TimeUnit.SECONDS);
      }
    } finally {
      if (metricsServer != null) {
        metricsServer.close();
      }
      if (redis != null) {
        redis.close();
      }
      store.close();
    }
  }

  /** Blocks until the server has terminated. */
  public void blockUntilShutdown() throws InterruptedException {
    server.awaitTermination();
  }

  /** Returns the gRPC port (useful when configured as 0); -1 for an in-process server. */
  public int port() {
    return server.getPort();
  }

  /** Returns the metrics port, or -1 if the endpoint is disabled or not started. */
  public int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.port();
  }

  /** Returns the server's metrics. */
  public Metrics metrics() {
    return metrics;
  }

  /**
   * Runs the server from environment variables until SIGTERM or SIGINT. A configuration error
   * prints one line and exits with status 2.
   */
  public static void main(String[] args) throws InterruptedException {
    ServerConfig config;
    IntervalStore store;
    try {
      config = ServerConfig.fromEnvironment(System.getenv());
      store = StoreUrls.open(config.store(), config.spannerMaxStaleness(), Clock.systemUTC());
    } catch (IllegalArgumentException | StoreException e) {
      System.err.println("eventflow-timeseries-srv: " + e.getMessage());
      System.exit(2);
      return;
    }
    TimeSeriesServer server =
        new TimeSeriesServer(
            Grpc.newServerBuilderForPort(config.grpcPort(), InsecureServerCredentials.create()),
            store,
            config,
            Clock.systemUTC());
    try {
      server.start();
    } catch (IOException e) {
      System.err.println(
          "eventflow-timeseries-srv: cannot listen on port " + config.grpcPort() + ": " + e);
      System.exit(2);
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // Logging may already be shut down in a JVM shutdown hook; stderr is not.
                  System.err.println("eventflow-timeseries-srv: shutting down");
                  try {
                    server.stop();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "shutdown"));
    server.blockUntilShutdown();
  }
}
