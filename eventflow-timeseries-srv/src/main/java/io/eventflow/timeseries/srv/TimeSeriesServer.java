package io.eventflow.timeseries.srv;

import io.eventflow.common.Redaction;
import io.eventflow.timeseries.api.pb.EntityServiceGrpc;
import io.eventflow.timeseries.api.pb.TimeSeriesServiceGrpc;
import io.eventflow.timeseries.store.EntityStore;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.StoreException;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The time-series query server: {@code TimeSeriesService} (and {@code EntityService} when it is
 * given an entities table), the gRPC health service and server reflection on one port, Prometheus
 * metrics on another. {@link #main} reads the environment (see {@link ServerConfig}), serves until
 * SIGTERM, then drains calls in flight for the shutdown grace.
 */
public final class TimeSeriesServer {
  private static final Logger logger = Logger.getLogger(TimeSeriesServer.class.getName());

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final IntervalStore store;
  private final EntityStore entities;
  private final RedisCache redis;
  private final ServerConfig config;
  private final Metrics metrics;
  private final ThreadPoolExecutor queries;
  private MetricsHttpServer metricsServer;

  /**
   * Creates a server on the given transport (Netty for production, in-process for tests) over a
   * store it takes over and closes on {@link #stop()}.
   */
  public TimeSeriesServer(
      ServerBuilder<?> transport, IntervalStore store, ServerConfig config, Clock clock) {
    this(transport, store, null, config, clock);
  }

  /**
   * Creates a server as {@link #TimeSeriesServer(ServerBuilder, IntervalStore, ServerConfig,
   * Clock)} does that also serves {@code EntityService} over {@code entities} (if not null), on the
   * same port and query pool; it closes that store on {@link #stop()} too.
   */
  public TimeSeriesServer(
      ServerBuilder<?> transport,
      IntervalStore store,
      EntityStore entities,
      ServerConfig config,
      Clock clock) {
    this.store = store;
    this.entities = entities;
    this.config = config;
    this.metrics = new Metrics(config.cloudMonitoring());
    this.redis =
        config.redisUrl() == null
            ? null
            : RedisCache.connect(RedisCache.Settings.of(config), clock, metrics);
    IntervalValuesReader reader =
        new IntervalValuesReader(
            store, config.maxBuckets(), config.limits().maxRows(), clock, metrics);
    QueryCache cache =
        new QueryCache(
            config.cacheL1Bytes(), config.cacheTtl(), config.cacheMinAge(), redis, clock, metrics);
    this.queries = queryPool(config.limits());
    ServerServiceDefinition service =
        new TimeSeriesServiceImpl(store, reader, cache, queries, config.limits(), metrics)
            .bindService();
    if (entities != null) {
      ServerServiceDefinition entityService =
          new EntityServiceImpl(entities, new StoreCalls(queries, config.limits(), metrics))
              .bindService();
      transport.addService(
          ServerInterceptors.intercept(entityService, metrics.callsOf(entityService)));
    }
    this.server =
        transport
            // The handlers never block: they answer from the in-process cache or hand the call to
            // the bounded query pool. Run them on the transport's own threads rather than on
            // grpc-java's default executor, an unbounded cached pool that a flood of calls would
            // grow by a thread per call in flight.
            .directExecutor()
            .addService(ServerInterceptors.intercept(service, metrics.callsOf(service)))
            .addService(health.getHealthService())
            // Reflection lets grpcurl and Postman call the service without the .proto file.
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
  }

  /**
   * The threads store and Redis reads run on: a fixed number, and a bounded queue before them, so a
   * flood of uncached queries is refused (RESOURCE_EXHAUSTED) instead of piling up threads and row
   * arrays until the heap is gone.
   */
  private static ThreadPoolExecutor queryPool(ServerConfig.QueryLimits limits) {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(
        limits.threads(),
        limits.threads(),
        0,
        TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(limits.queue()),
        r -> {
          Thread t = new Thread(r, "query-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        },
        new ThreadPoolExecutor.AbortPolicy());
  }

  /**
   * Starts serving, marks the service healthy, and starts the metrics endpoint unless disabled.
   *
   * @throws IOException if a port cannot be bound
   */
  public TimeSeriesServer start() throws IOException {
    server.start();
    if (config.metricsPort() >= 0) {
      metricsServer =
          MetricsHttpServer.start(metrics, config.metricsAddress(), config.metricsPort());
    }
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(TimeSeriesServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    if (entities != null) {
      health.setStatus(EntityServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    }
    logger.info(
        "serving on port "
            + server.getPort()
            + (metricsServer == null ? "" : ", metrics on " + metricsServer.address())
            + " with "
            + config);
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
      // Calls are over; a queued task of a cancelled call finds its context cancelled and returns.
      queries.shutdownNow();
      if (metricsServer != null) {
        metricsServer.close();
      }
      if (redis != null) {
        redis.close();
      }
      store.close();
      if (entities != null) {
        entities.close();
      }
      // Last: the final values, the calls drained above included, go to Cloud Monitoring.
      metrics.close();
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

  /** Returns the metrics endpoint's address, or null if the endpoint is disabled or not started. */
  public InetSocketAddress metricsAddress() {
    return metricsServer == null ? null : metricsServer.address();
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
      // Messages name the variable; a URL in them has its credentials masked (ServerConfig).
      System.err.println("eventflow-timeseries-srv: " + Redaction.redactStore(e.getMessage()));
      System.exit(2);
      return;
    }
    TimeSeriesServer server;
    try {
      server =
          new TimeSeriesServer(
              Grpc.newServerBuilderForPort(config.grpcPort(), InsecureServerCredentials.create()),
              store,
              config,
              Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      // A setting only the Redis client checks (EVENTFLOW_REDIS_CA_CERT): one line, like the rest.
      store.close();
      System.err.println("eventflow-timeseries-srv: " + Redaction.redactStore(e.getMessage()));
      System.exit(2);
      return;
    }
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
