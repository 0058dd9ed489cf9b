package io.eventflow.collector;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.metric.MeterIdPrefixFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Route;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.cors.CorsService;
import com.linecorp.armeria.server.cors.CorsServiceBuilder;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.server.healthcheck.HealthCheckService;
import com.linecorp.armeria.server.metric.MetricCollectingService;
import com.linecorp.armeria.server.throttling.ThrottlingService;
import com.linecorp.armeria.server.throttling.ThrottlingStrategy;
import io.eventflow.common.EventValidator;
import io.eventflow.common.ValidationLimits;
import io.eventflow.metrics.ServiceMeters;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector: one Armeria server on one port for HTTP/1.1, HTTP/2 and gRPC. Its routes are the
 * event API ({@code /v1/events}, {@code /v1/batch}), request/response ({@code /v1/call/{type}}),
 * the gRPC service ({@link CollectorGrpcService}, with health and reflection), the probes ({@code
 * /healthz}, {@code /readyz}) and {@code /metrics}; CORS, API keys, per-key rate limits and request
 * metrics are decorators around the event API, not code in its handlers.
 *
 * <p>Nothing is acknowledged before Pub/Sub confirmed it: a handler's answer is a future completed
 * by the publisher's confirmation. Stopping is graceful: {@code /readyz} turns 503 at once, the
 * server keeps serving through the quiet period, finishes the requests in flight (each waits for
 * its publishes) up to the shutdown timeout, and only then closes the publisher.
 */
public final class CollectorServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(CollectorServer.class);

  private final CollectorConfig config;
  private final Server server;
  private final EventSink sink;
  private final ServiceMeters meters;

  private CollectorServer(
      CollectorConfig config, Server server, EventSink sink, ServiceMeters meters) {
    this.config = config;
    this.server = server;
    this.sink = sink;
    this.meters = meters;
  }

  /**
   * Starts a collector publishing to Pub/Sub as configured.
   *
   * @throws IOException if the key file cannot be read or the Pub/Sub client cannot be created
   * @throws IllegalArgumentException if the key file is malformed
   * @throws java.util.concurrent.CompletionException if the port cannot be bound
   */
  public static CollectorServer start(CollectorConfig config, Clock clock) throws IOException {
    ApiKeys keys =
        config.apiKeysFile().isPresent() ? ApiKeys.load(config.apiKeysFile().get()) : null;
    PubSubEventSink sink = PubSubEventSink.create(config, clock);
    try {
      CollectorServer server = start(config, sink, keys, System::nanoTime);
      logger.info(
          "collector on {} publishing to {} ({})",
          server.url(),
          sink.topic(),
          keys == null ? "open, no API keys" : keys.size() + " API key(s)");
      return server;
    } catch (RuntimeException e) {
      sink.close();
      throw e;
    }
  }

  /** Starts a collector on the given sink; tests pass their own clock for the rate limits. */
  static CollectorServer start(
      CollectorConfig config, EventSink sink, ApiKeys keys, LongSupplier nanoTime) {
    // Prometheus for /metrics; Cloud Monitoring too when configured (eventflow-metrics).
    ServiceMeters meters = ServiceMeters.of(config.cloudMonitoring());
    MeterRegistry registry = meters.registry();
    InFlightBytes inFlight = new InFlightBytes(config.maxInFlightBytes());
    CollectorMetrics metrics = new CollectorMetrics(registry, inFlight::used);
    Intake intake = new Intake(sink, inFlight, config.acceptTimeout(), metrics);
    RequestDecoder decoder = new RequestDecoder(config.maxEventBytes());
    Processors processors = new Processors(metrics);
    Calls calls =
        new Calls(
            processors,
            intake,
            sink,
            new EventValidator(ValidationLimits.DEFAULTS, Clock.systemUTC()),
            config.callTimeout(),
            config.maxCallTimeout());

    ServerBuilder sb = Server.builder();
    sb.http(new InetSocketAddress(config.host(), config.port()));
    sb.meterRegistry(registry);
    // Armeria answers 413 itself for a body over the request limit, before reading it all.
    sb.maxRequestLength(config.maxRequestBytes());
    // A request waits for Pub/Sub up to the accept timeout; Armeria's own default (10 s) must not
    // cut it short with a bare 503.
    sb.requestTimeout(config.acceptTimeout().plusSeconds(5));
    sb.gracefulShutdownTimeout(config.shutdownQuietPeriod(), config.shutdownTimeout());

    // The event API, inside its decorators (the last applied is the outermost).
    Function<HttpService, HttpService> api = apiDecorators(config, keys, nanoTime);
    sb.service(
        "/v1/events",
        api.apply(new EventsHttpService(intake, decoder, false, config.retryAfter())));
    sb.service(
        "/v1/batch", api.apply(new EventsHttpService(intake, decoder, true, config.retryAfter())));
    sb.service(
        "/v1/call/{type}", api.apply(new CallHttpService(calls, decoder, config.retryAfter())));

    // The gRPC API on the same port, behind the same keys and rate limit, with the standard
    // health service (SERVING until the server stops) and reflection for grpcurl.
    GrpcService grpc =
        GrpcService.builder()
            .addService(new CollectorGrpcService(intake, calls, processors, config.maxEventBytes()))
            .addService(ProtoReflectionServiceV1.newInstance())
            .enableHealthCheckService(true)
            .maxRequestMessageLength((int) Math.min(Integer.MAX_VALUE, config.maxRequestBytes()))
            .build();
    // A gRPC stream is one HTTP request: the server's request limit would end a SendStream, or a
    // processor's Connect stream, with RESOURCE_EXHAUSTED once its messages add up to 10 MB. Each
    // message is bounded instead (above); a stream's total is not.
    HttpService grpcApi = api.apply(grpc);
    for (Route route : grpc.routes()) {
      sb.route().addRoute(route).maxRequestLength(0).build(grpcApi);
    }

    // Probes and metrics: no keys, no CORS. Liveness is the process; readiness is Pub/Sub making
    // progress and the server not stopping (HealthCheckService turns 503 when stopping begins).
    // The browser tracker, from any origin (a script tag needs no CORS); cached for 5 minutes,
    // so a new version reaches pages within minutes while a busy site fetches it rarely.
    byte[] tracker = trackerScript();
    sb.service(
        "/eventflow.js",
        (ctx, req) ->
            HttpResponse.of(
                ResponseHeaders.builder(HttpStatus.OK)
                    .contentType(MediaType.JAVASCRIPT_UTF_8)
                    .set(HttpHeaderNames.CACHE_CONTROL, "public, max-age=300")
                    .build(),
                HttpData.wrap(tracker)));

    sb.service("/healthz", (ctx, req) -> HttpResponse.of("ok\n"));
    sb.service("/readyz", HealthCheckService.builder().checkers(sink::isReady).build());
    sb.service(
        "/metrics",
        (ctx, req) ->
            HttpResponse.of(
                HttpStatus.OK,
                MediaType.parse("text/plain; version=0.0.4; charset=utf-8"),
                meters.prometheus().scrape()));

    sb.decorator(
        MetricCollectingService.newDecorator(
            MeterIdPrefixFunction.ofDefault("eventflow.collector.http")));
    Server server = sb.build();
    try {
      server.start().join();
    } catch (RuntimeException e) {
      // A port in use: stop the Cloud Monitoring publisher's thread with the failed start.
      meters.close();
      throw e;
    }
    return new CollectorServer(config, server, sink, meters);
  }

  private static byte[] trackerScript() {
    try (InputStream in = CollectorServer.class.getResourceAsStream("eventflow.js")) {
      if (in == null) {
        throw new IllegalStateException("eventflow.js is missing from the collector's jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** CORS outermost (a preflight needs no key), then API keys, then the per-key rate limit. */
  private static Function<HttpService, HttpService> apiDecorators(
      CollectorConfig config, ApiKeys keys, LongSupplier nanoTime) {
    Function<HttpService, HttpService> decorators = Function.identity();
    if (keys != null) {
      KeyRateLimiter limiter = new KeyRateLimiter(config.ratePerKey(), nanoTime);
      Function<? super HttpService, ThrottlingService> throttle =
          ThrottlingService.builder(
                  ThrottlingStrategy.of(
                      (ctx, req) ->
                          CompletableFuture.completedFuture(
                              limiter.tryAcquire(ApiKeyDecorator.source(ctx).orElse(""))),
                      "per-key-rate"))
              .onRejectedRequest(
                  (delegate, ctx, req, cause) ->
                      HttpAnswers.retryLater(
                          429,
                          config.retryAfter(),
                          "over " + config.ratePerKey() + " requests/s for this API key"))
              .newDecorator();
      ApiKeyDecorator auth = new ApiKeyDecorator(keys);
      decorators = decorators.andThen(throttle).andThen(service -> service.decorate(auth));
    }
    if (!config.corsOrigins().isEmpty()) {
      CorsServiceBuilder cors =
          config.corsOrigins().contains("*")
              ? CorsService.builderForAnyOrigin()
              : CorsService.builder(config.corsOrigins());
      Function<? super HttpService, CorsService> corsDecorator =
          cors.allowRequestMethods(HttpMethod.POST)
              .allowRequestHeaders(HttpHeaderNames.AUTHORIZATION, HttpHeaderNames.CONTENT_TYPE)
              .exposeHeaders(HttpHeaderNames.RETRY_AFTER)
              .maxAge(config.corsMaxAge())
              .newDecorator();
      decorators = decorators.andThen(corsDecorator);
    }
    return decorators;
  }

  /** Returns the port the server listens on. */
  public int port() {
    return server.activeLocalPort();
  }

  /** Returns {@code http://host:port}, for logs and the local stack's startup lines. */
  public String url() {
    String host = config.host();
    if (host.equals("0.0.0.0")) {
      host = "localhost";
    } else if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + port();
  }

  /**
   * Returns the Prometheus registry holding the collector's metrics (what {@code /metrics} shows).
   */
  public PrometheusMeterRegistry registry() {
    return meters.prometheus();
  }

  /** Returns the configuration. */
  public CollectorConfig config() {
    return config;
  }

  /**
   * Stops gracefully: readiness fails at once, in-flight requests finish (each after its publishes
   * are confirmed) within the shutdown timeout, then the publisher flushes and closes.
   */
  @Override
  public void close() {
    server.stop().join();
    sink.close();
    // Last, so the final values (the requests just drained included) reach Cloud Monitoring.
    meters.close();
  }
}
