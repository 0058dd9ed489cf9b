package io.eventflow.collector;

import io.eventflow.metrics.CloudMonitoring;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link CollectorServer} runs with. Build one with {@link #builder()}; every setting has a
 * default, and {@link Builder#build()} rejects bad values and combinations with a message naming
 * the setting.
 *
 * @param host the address to bind ({@code 0.0.0.0} for every interface)
 * @param port the port for HTTP/1.1, HTTP/2 and gRPC (0 picks a free one)
 * @param eventsTopic the Pub/Sub topic events go to (id or {@code projects/P/topics/T})
 * @param project the project of a topic id; empty: {@code GOOGLE_CLOUD_PROJECT}
 * @param emulatorHost a Pub/Sub emulator or eventflow broker {@code host:port}; empty: {@code
 *     PUBSUB_EMULATOR_HOST}, else real Pub/Sub
 * @param defaultSource the source of events that name none, when no API key decides it
 * @param apiKeysFile the file of hashed API keys ({@link ApiKeys}); empty: open, loopback only
 * @param corsOrigins origins browsers may send from ({@code *} for any); empty: no CORS
 * @param corsMaxAge how long a browser may cache a preflight answer
 * @param ratePerKey requests per second one API key may make (its burst: one second's worth)
 * @param maxEventBytes the largest event body ({@code /v1/events}) or batch element, in bytes
 * @param maxRequestBytes the largest request body, in bytes
 * @param maxInFlightBytes request bytes whose events are not yet confirmed by Pub/Sub, at most
 * @param acceptTimeout how long a request waits for Pub/Sub's confirmation before it gets 503
 * @param retryAfter what a 503 or 429 tells the client to wait
 * @param publishBatchDelay the longest an event waits for its Pub/Sub batch to fill
 * @param callTimeout a {@code Call}'s deadline when the caller sets none
 * @param maxCallTimeout the longest deadline a caller may set
 * @param shutdownQuietPeriod how long a stopping server keeps serving while no request arrives
 * @param shutdownTimeout how long a stopping server waits for in-flight requests at most
 * @param cloudMonitoring where the metrics are also published; empty: Prometheus ({@code /metrics})
 *     only
 */
public record CollectorConfig(
    String host,
    int port,
    String eventsTopic,
    Optional<String> project,
    Optional<String> emulatorHost,
    String defaultSource,
    Optional<Path> apiKeysFile,
    List<String> corsOrigins,
    Duration corsMaxAge,
    double ratePerKey,
    int maxEventBytes,
    long maxRequestBytes,
    long maxInFlightBytes,
    Duration acceptTimeout,
    Duration retryAfter,
    Duration publishBatchDelay,
    Duration callTimeout,
    Duration maxCallTimeout,
    Duration shutdownQuietPeriod,
    Duration shutdownTimeout,
    Optional<CloudMonitoring> cloudMonitoring) {

  /** The port of the container and of {@code eventflow local}. */
  public static final int DEFAULT_PORT = 8080;

  /** The events topic of the local stack and of the terraform module. */
  public static final String DEFAULT_EVENTS_TOPIC = "events";

  /** The service's name in Cloud Monitoring (the {@code job} label of its metrics' resource). */
  public static final String MONITORING_JOB = "eventflow-collector";

  /** The source of events that name none when no API key decides it. */
  public static final String DEFAULT_SOURCE = "collector";

  /**
   * 256 KiB per event: ingest's payload limit ({@code ValidationLimits.DEFAULTS}), so an event the
   * collector reads is one ingest can take; JSON is larger than the binary form it is checked in.
   */
  public static final int DEFAULT_MAX_EVENT_BYTES = 256 * 1024;

  /** 10 MB per request: Pub/Sub's own request limit, and 100 typical batches of 100 events. */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 10_000_000;

  /**
   * 64 MiB of requests awaiting Pub/Sub: the publisher's own outstanding-bytes bound. At ~300 bytes
   * an event that is ~200,000 events, two seconds at 100,000 events/s; past it requests get 503 at
   * once instead of queueing without bound.
   */
  public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 64L * 1024 * 1024;

  /**
   * 10 s: Pub/Sub confirms in tens of milliseconds; ten seconds without an answer is an outage, and
   * the client should retry (its events may still land: send ids to have ingest drop repeats).
   */
  public static final Duration DEFAULT_ACCEPT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * 2 ms: every request waits for its batch's confirmation, so the delay is most of an answer's
   * latency, and a client holding N keep-alive connections (Cloud Run lets 80 requests into an
   * instance by default) gets at most N answers per latency. Against eventflow-broker on 2 cores
   * with 64 connections (wrk, docs/BENCHMARKS.md, "Collector"), 5 ms gave 6,834 and 6,722
   * requests/s at p50 8.7-8.9 ms, 2 ms 11,537 and 12,003/s at p50 4.8 ms; at 128 connections both
   * gave 11,800-12,000/s; at 256 the bigger batches of 5 ms did 17,208/s against 13,450/s. 1 ms
   * sent so many small batches that the CPU per request doubled.
   */
  public static final Duration DEFAULT_PUBLISH_BATCH_DELAY = Duration.ofMillis(2);

  /** 2 hours: the longest preflight cache Chromium honours (Firefox allows a day). */
  public static final Duration DEFAULT_CORS_MAX_AGE = Duration.ofHours(2);

  /** 1 s, the default deadline for a {@code Call}. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(1);

  /** Checks the values; {@link Builder#build()} is the usual way to get here. */
  public CollectorConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(cloudMonitoring, "cloudMonitoring");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0-65535, got " + port);
    }
    if (defaultSource.isBlank()) {
      throw new IllegalArgumentException("default source must not be blank");
    }
    corsOrigins = List.copyOf(corsOrigins);
    if (!(ratePerKey > 0)) {
      throw new IllegalArgumentException("rate per key must be positive, got " + ratePerKey);
    }
    if (maxEventBytes < 1 || maxRequestBytes < maxEventBytes) {
      throw new IllegalArgumentException(
          "max event bytes must be positive and max request bytes at least max event bytes");
    }
    if (maxInFlightBytes < maxRequestBytes) {
      throw new IllegalArgumentException(
          "max in-flight bytes ("
              + maxInFlightBytes
              + ") must be at least max request bytes ("
              + maxRequestBytes
              + "), or the largest request could never be accepted");
    }
    for (Duration d : List.of(acceptTimeout, callTimeout, maxCallTimeout, publishBatchDelay)) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("timeouts and delays must be positive, got " + d);
      }
    }
    if (maxCallTimeout.compareTo(callTimeout) < 0) {
      throw new IllegalArgumentException("max call timeout must be at least the call timeout");
    }
    if (retryAfter.toSeconds() < 1) {
      throw new IllegalArgumentException("Retry-After must be at least 1 s (it is whole seconds)");
    }
    if (apiKeysFile.isEmpty() && !isLoopback(host)) {
      throw new IllegalArgumentException(
          "without API keys (EVENTFLOW_COLLECTOR_API_KEYS) the collector is open to anyone, so it"
              + " binds only to loopback; "
              + host
              + " is not");
    }
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("unknown host " + host, e);
    }
  }

  /** Whether requests need no API key (no key file: loopback only). */
  public boolean open() {
    return apiKeysFile.isEmpty();
  }

  /** Returns a builder with every default. */
  public static Builder builder() {
    return new Builder();
  }

  /** Collects the settings of a {@link CollectorConfig}. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = DEFAULT_PORT;
    private String eventsTopic = DEFAULT_EVENTS_TOPIC;
    private Optional<String> project = Optional.empty();
    private Optional<String> emulatorHost = Optional.empty();
    private String defaultSource = DEFAULT_SOURCE;
    private Optional<Path> apiKeysFile = Optional.empty();
    private final List<String> corsOrigins = new ArrayList<>();
    private Duration corsMaxAge = DEFAULT_CORS_MAX_AGE;
    private double ratePerKey = 1_000;
    private int maxEventBytes = DEFAULT_MAX_EVENT_BYTES;
    private long maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private long maxInFlightBytes = DEFAULT_MAX_IN_FLIGHT_BYTES;
    private Duration acceptTimeout = DEFAULT_ACCEPT_TIMEOUT;
    private Duration retryAfter = Duration.ofSeconds(1);
    private Duration publishBatchDelay = DEFAULT_PUBLISH_BATCH_DELAY;
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    private Duration maxCallTimeout = Duration.ofSeconds(30);
    private Duration shutdownQuietPeriod = Duration.ofSeconds(1);
    private Duration shutdownTimeout = Duration.ofSeconds(30);
    private Optional<CloudMonitoring> cloudMonitoring = Optional.empty();

    private Builder() {}

    /** Sets the address to bind. Default: {@code 127.0.0.1}. */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /** Sets the port (0: a free one). Default: 8080. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Sets the events topic. Default: {@code events}. */
    public Builder eventsTopic(String topic) {
      this.eventsTopic = topic;
      return this;
    }

    /** Sets the project of a topic id. */
    public Builder project(String project) {
      this.project = Optional.of(project);
      return this;
    }

    /** Publishes to an emulator or eventflow broker at {@code host:port}. */
    public Builder emulatorHost(String hostAndPort) {
      this.emulatorHost = Optional.of(hostAndPort);
      return this;
    }

    /** Sets the source of events that name none. Default: {@code collector}. */
    public Builder defaultSource(String source) {
      this.defaultSource = source;
      return this;
    }

    /** Requires API keys from this file (see {@link ApiKeys}). Default: open, loopback only. */
    public Builder apiKeysFile(Path file) {
      this.apiKeysFile = Optional.of(file);
      return this;
    }

    /** Allows browsers on this origin ({@code *}: any). Default: none. */
    public Builder corsOrigin(String origin) {
      this.corsOrigins.add(origin);
      return this;
    }

    /** Sets how long browsers cache a preflight answer. Default: 2 h. */
    public Builder corsMaxAge(Duration maxAge) {
      this.corsMaxAge = maxAge;
      return this;
    }

    /** Sets the requests per second one API key may make. Default: 1,000. */
    public Builder ratePerKey(double perSecond) {
      this.ratePerKey = perSecond;
      return this;
    }

    /** Sets the size limits of an event and of a request. Defaults: 256 KiB, 10 MB. */
    public Builder sizeLimits(int maxEventBytes, long maxRequestBytes) {
      this.maxEventBytes = maxEventBytes;
      this.maxRequestBytes = maxRequestBytes;
      return this;
    }

    /** Bounds the request bytes awaiting Pub/Sub's confirmation. Default: 64 MiB. */
    public Builder maxInFlightBytes(long bytes) {
      this.maxInFlightBytes = bytes;
      return this;
    }

    /** Sets how long a request waits for Pub/Sub before 503. Default: 10 s. */
    public Builder acceptTimeout(Duration timeout) {
      this.acceptTimeout = timeout;
      return this;
    }

    /** Sets the {@code Retry-After} of 503 and 429 answers. Default: 1 s. */
    public Builder retryAfter(Duration retryAfter) {
      this.retryAfter = retryAfter;
      return this;
    }

    /** Sets the Pub/Sub batch delay. Default: 2 ms ({@link #DEFAULT_PUBLISH_BATCH_DELAY}). */
    public Builder publishBatchDelay(Duration delay) {
      this.publishBatchDelay = delay;
      return this;
    }

    /** Sets the default and the longest deadline of a {@code Call}. Defaults: 1 s, 30 s. */
    public Builder callTimeouts(Duration byDefault, Duration max) {
      this.callTimeout = byDefault;
      this.maxCallTimeout = max;
      return this;
    }

    /** Sets the graceful stop's quiet period and bound. Defaults: 1 s, 30 s. */
    public Builder shutdown(Duration quietPeriod, Duration timeout) {
      this.shutdownQuietPeriod = quietPeriod;
      this.shutdownTimeout = timeout;
      return this;
    }

    /** Also publishes the metrics to Cloud Monitoring, when present. Default: not. */
    public Builder cloudMonitoring(Optional<CloudMonitoring> cloudMonitoring) {
      this.cloudMonitoring = cloudMonitoring;
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @throws IllegalArgumentException naming the first bad setting
     */
    public CollectorConfig build() {
      return new CollectorConfig(
          host,
          port,
          eventsTopic,
          project,
          emulatorHost,
          defaultSource,
          apiKeysFile,
          corsOrigins,
          corsMaxAge,
          ratePerKey,
          maxEventBytes,
          maxRequestBytes,
          maxInFlightBytes,
          acceptTimeout,
          retryAfter,
          publishBatchDelay,
          callTimeout,
          maxCallTimeout,
          shutdownQuietPeriod,
          shutdownTimeout,
          cloudMonitoring);
    }
  }
}
