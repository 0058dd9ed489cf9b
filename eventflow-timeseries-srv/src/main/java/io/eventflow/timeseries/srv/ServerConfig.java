package io.eventflow.timeseries.srv;

import io.eventflow.common.Redaction;
import io.eventflow.metrics.CloudMonitoring;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's settings, read from environment variables (README.md lists them with their
 * defaults). Durations are {@code 50ms}, {@code 10s}, {@code 15m}, {@code 1h} or ISO 8601 ({@code
 * PT1H}).
 *
 * @param store {@code EVENTFLOW_STORE}: {@code jdbc:h2:…} or {@code
 *     spanner:projects/P/instances/I/databases/D}; required
 * @param grpcPort {@code EVENTFLOW_GRPC_PORT}, else {@code PORT} (set by Cloud Run), else 9090
 * @param metricsPort {@code EVENTFLOW_METRICS_PORT}, default 9464; -1 ({@code none}) disables
 * @param metricsAddress {@code EVENTFLOW_METRICS_HOST}, the address the metrics endpoint binds,
 *     default {@code 0.0.0.0} (all interfaces, for a scraper in another pod); the local stack binds
 *     loopback
 * @param redisUrl {@code EVENTFLOW_REDIS_URL}, e.g. {@code redis://10.0.0.3:6379}; null (unset)
 *     disables the Redis level
 * @param redisPassword {@code EVENTFLOW_REDIS_PASSWORD}, the Redis AUTH string (on Cloud Run,
 *     injected from Secret Manager); overrides a password in the URL; null for none
 * @param redisCaCert {@code EVENTFLOW_REDIS_CA_CERT}, PEM certificates a {@code rediss://} server
 *     is verified against (Memorystore's server CA); null trusts the JVM's default CAs
 * @param redisTimeout {@code EVENTFLOW_REDIS_TIMEOUT}, default 50ms
 * @param redisBackoff {@code EVENTFLOW_REDIS_BACKOFF}, default 5s
 * @param cacheMinAge {@code EVENTFLOW_CACHE_MIN_AGE}, default 1h
 * @param cacheTtl {@code EVENTFLOW_CACHE_TTL}, default 1h
 * @param cacheL1Bytes {@code EVENTFLOW_CACHE_L1_MB} in MiB, default 64
 * @param maxBuckets {@code EVENTFLOW_MAX_BUCKETS}, default 100000
 * @param limits the per-query row cap, time limit and the query pool's size
 * @param spannerMaxStaleness {@code EVENTFLOW_SPANNER_MAX_STALENESS}, default 10s
 * @param shutdownGrace {@code EVENTFLOW_SHUTDOWN_GRACE}, default 8s
 * @param cloudMonitoring {@code EVENTFLOW_CLOUD_MONITORING_PROJECT} and its companions: where the
 *     metrics are also published (eventflow-metrics' README); empty (unset) publishes nothing
 */
public record ServerConfig(
    String store,
    int grpcPort,
    int metricsPort,
    InetAddress metricsAddress,
    URI redisUrl,
    String redisPassword,
    String redisCaCert,
    Duration redisTimeout,
    Duration redisBackoff,
    Duration cacheMinAge,
    Duration cacheTtl,
    long cacheL1Bytes,
    int maxBuckets,
    QueryLimits limits,
    Duration spannerMaxStaleness,
    Duration shutdownGrace,
    Optional<CloudMonitoring> cloudMonitoring) {

  /** The service's name in Cloud Monitoring (the {@code job} label of its metrics' resource). */
  public static final String MONITORING_JOB = "eventflow-timeseries-srv";

  /**
   * What one query may cost, and how many run at once.
   *
   * @param maxRows {@code EVENTFLOW_MAX_ROWS}: most store rows one query may read, default
   *     1,000,000
   * @param timeout {@code EVENTFLOW_QUERY_TIMEOUT}: longest a query may run when the caller's
   *     deadline is later or unset, default 30s
   * @param threads {@code EVENTFLOW_QUERY_THREADS}: queries reading the store or Redis at once,
   *     default 16
   * @param queue {@code EVENTFLOW_QUERY_QUEUE}: queries waiting for a thread before new ones are
   *     refused with RESOURCE_EXHAUSTED, default 64
   */
  public record QueryLimits(int maxRows, Duration timeout, int threads, int queue) {
    /** Returns the defaults. */
    public static QueryLimits defaults() {
      return new QueryLimits(
          DEFAULT_MAX_ROWS, DEFAULT_QUERY_TIMEOUT, DEFAULT_QUERY_THREADS, DEFAULT_QUERY_QUEUE);
    }

    /** Returns a copy with a different row cap. */
    public QueryLimits withMaxRows(int max) {
      return new QueryLimits(max, timeout, threads, queue);
    }

    /** Returns a copy with a different pool. */
    public QueryLimits withPool(int threads, int queue) {
      return new QueryLimits(maxRows, timeout, threads, queue);
    }

    /** Returns a copy with a different time limit. */
    public QueryLimits withTimeout(Duration timeout) {
      return new QueryLimits(maxRows, timeout, threads, queue);
    }
  }

  /** The conventional gRPC port, and the CLI's default {@code --server localhost:9090}. */
  public static final int DEFAULT_GRPC_PORT = 9090;

  /** The port Prometheus exporters conventionally use. */
  public static final int DEFAULT_METRICS_PORT = 9464;

  /**
   * Redis answers in well under a millisecond within a region; 50 ms bounds what a sick Redis adds
   * to a query before it falls back to the store.
   */
  public static final Duration DEFAULT_REDIS_TIMEOUT = Duration.ofMillis(50);

  /** After a Redis failure, skip it this long: one timeout per 5 s instead of one per query. */
  public static final Duration DEFAULT_REDIS_BACKOFF = Duration.ofSeconds(5);

  /**
   * Answers are cached once their range ended this long ago. It must exceed the rollups job's
   * allowed lateness plus its pane delay, after which those minutes no longer change.
   */
  public static final Duration DEFAULT_CACHE_MIN_AGE = Duration.ofHours(1);

  /** How long an answer stays cached: bounds how long a backfill of old data stays invisible. */
  public static final Duration DEFAULT_CACHE_TTL = Duration.ofHours(1);

  /** 64 MiB holds about 8,000 answers of 500 buckets (8 KB each) per replica. */
  public static final long DEFAULT_CACHE_L1_MB = 64;

  /**
   * 100,000 buckets are 1.6 MB on the wire (8 + 8 bytes each), under gRPC's 4 MiB default message
   * limit on the client; a year of minutes (525,600) is not, and needs a longer step.
   */
  public static final int DEFAULT_MAX_BUCKETS = 100_000;

  /**
   * Spanner reads up to 10 s stale are served by the nearest replica without a leader round trip.
   */
  public static final Duration DEFAULT_SPANNER_MAX_STALENESS = Duration.ofSeconds(10);

  /**
   * A row is 24 bytes in the reader's columns, so 1,000,000 rows are 24 MB (48 MB while the arrays
   * grow) per query, about 0.8 GB at 16 queries at once in the worst case. That covers a year of
   * minute rows (525,600) with room for several panes per minute; a year of days of a series' own
   * function reads 35,040 quarter-hour rows.
   */
  public static final int DEFAULT_MAX_ROWS = 1_000_000;

  /**
   * Cloud Run's request timeout for the service is 60 s (terraform/cloudrun.tf); a query that has
   * not finished in 30 s is stuck on the store, and its thread is better given back.
   */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Store reads wait on the network (Spanner) or disk (H2), not the CPU: 16 threads keep a 2-vCPU
   * instance busy while bounding memory (see {@link #DEFAULT_MAX_ROWS}).
   */
  public static final int DEFAULT_QUERY_THREADS = 16;

  /** 64 waiting queries are 4 rounds of the pool: a burst waits, a flood is refused. */
  public static final int DEFAULT_QUERY_QUEUE = 64;

  /** Cloud Run kills a container 10 s after SIGTERM; draining gets 8 of them. */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(8);

  /** All interfaces: the container default, so a scraper in another pod reaches the endpoint. */
  private static final InetAddress WILDCARD = new InetSocketAddress(0).getAddress();

  private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  /**
   * Reads the settings from environment variables.
   *
   * @throws IllegalArgumentException naming the variable and what it expects if a value is invalid
   */
  public static ServerConfig fromEnvironment(Map<String, String> env) {
    String store = env.get("EVENTFLOW_STORE");
    if (store == null || store.isBlank()) {
      throw new IllegalArgumentException(
          "EVENTFLOW_STORE is required: jdbc:h2:… or spanner:projects/P/instances/I/databases/D");
    }
    String grpcPort = env.getOrDefault("EVENTFLOW_GRPC_PORT", env.get("PORT"));
    String metricsPort = env.get("EVENTFLOW_METRICS_PORT");
    return new ServerConfig(
        store,
        grpcPort == null ? DEFAULT_GRPC_PORT : port("EVENTFLOW_GRPC_PORT", grpcPort),
        metricsPort == null
            ? DEFAULT_METRICS_PORT
            : metricsPort.equalsIgnoreCase("none")
                ? -1
                : port("EVENTFLOW_METRICS_PORT", metricsPort),
        address(env.get("EVENTFLOW_METRICS_HOST")),
        redisUrl("EVENTFLOW_REDIS_URL", env.get("EVENTFLOW_REDIS_URL")),
        blankToNull(env.get("EVENTFLOW_REDIS_PASSWORD")),
        blankToNull(env.get("EVENTFLOW_REDIS_CA_CERT")),
        duration(env, "EVENTFLOW_REDIS_TIMEOUT", DEFAULT_REDIS_TIMEOUT),
        duration(env, "EVENTFLOW_REDIS_BACKOFF", DEFAULT_REDIS_BACKOFF),
        duration(env, "EVENTFLOW_CACHE_MIN_AGE", DEFAULT_CACHE_MIN_AGE),
        duration(env, "EVENTFLOW_CACHE_TTL", DEFAULT_CACHE_TTL),
        positive(env, "EVENTFLOW_CACHE_L1_MB", DEFAULT_CACHE_L1_MB) * 1024 * 1024,
        Math.toIntExact(positive(env, "EVENTFLOW_MAX_BUCKETS", DEFAULT_MAX_BUCKETS)),
        new QueryLimits(
            Math.toIntExact(positive(env, "EVENTFLOW_MAX_ROWS", DEFAULT_MAX_ROWS)),
            duration(env, "EVENTFLOW_QUERY_TIMEOUT", DEFAULT_QUERY_TIMEOUT),
            Math.toIntExact(positive(env, "EVENTFLOW_QUERY_THREADS", DEFAULT_QUERY_THREADS)),
            Math.toIntExact(positive(env, "EVENTFLOW_QUERY_QUEUE", DEFAULT_QUERY_QUEUE))),
        duration(env, "EVENTFLOW_SPANNER_MAX_STALENESS", DEFAULT_SPANNER_MAX_STALENESS),
        duration(env, "EVENTFLOW_SHUTDOWN_GRACE", DEFAULT_SHUTDOWN_GRACE),
        CloudMonitoring.fromEnvironment(env::get, MONITORING_JOB));
  }

  /** Returns the defaults for a store, with the given ports (0 picks free ones). */
  public static ServerConfig defaults(String store, int grpcPort, int metricsPort) {
    return new ServerConfig(
        store,
        grpcPort,
        metricsPort,
        WILDCARD,
        null,
        null,
        null,
        DEFAULT_REDIS_TIMEOUT,
        DEFAULT_REDIS_BACKOFF,
        DEFAULT_CACHE_MIN_AGE,
        DEFAULT_CACHE_TTL,
        DEFAULT_CACHE_L1_MB * 1024 * 1024,
        DEFAULT_MAX_BUCKETS,
        QueryLimits.defaults(),
        DEFAULT_SPANNER_MAX_STALENESS,
        DEFAULT_SHUTDOWN_GRACE,
        Optional.empty());
  }

  /** Returns a copy using Redis at {@code url}. */
  public ServerConfig withRedis(URI url) {
    return new ServerConfig(
        store,
        grpcPort,
        metricsPort,
        metricsAddress,
        url,
        redisPassword,
        redisCaCert,
        redisTimeout,
        redisBackoff,
        cacheMinAge,
        cacheTtl,
        cacheL1Bytes,
        maxBuckets,
        limits,
        spannerMaxStaleness,
        shutdownGrace,
        cloudMonitoring);
  }

  /** Returns a copy with a different bucket limit. */
  public ServerConfig withMaxBuckets(int max) {
    return new ServerConfig(
        store,
        grpcPort,
        metricsPort,
        metricsAddress,
        redisUrl,
        redisPassword,
        redisCaCert,
        redisTimeout,
        redisBackoff,
        cacheMinAge,
        cacheTtl,
        cacheL1Bytes,
        max,
        limits,
        spannerMaxStaleness,
        shutdownGrace,
        cloudMonitoring);
  }

  /** Returns a copy with different query limits. */
  public ServerConfig withLimits(QueryLimits limits) {
    return new ServerConfig(
        store,
        grpcPort,
        metricsPort,
        metricsAddress,
        redisUrl,
        redisPassword,
        redisCaCert,
        redisTimeout,
        redisBackoff,
        cacheMinAge,
        cacheTtl,
        cacheL1Bytes,
        maxBuckets,
        limits,
        spannerMaxStaleness,
        shutdownGrace,
        cloudMonitoring);
  }

  /** Returns a copy whose metrics endpoint binds {@code address} (the local stack: loopback). */
  public ServerConfig withMetricsAddress(InetAddress address) {
    return new ServerConfig(
        store,
        grpcPort,
        metricsPort,
        address,
        redisUrl,
        redisPassword,
        redisCaCert,
        redisTimeout,
        redisBackoff,
        cacheMinAge,
        cacheTtl,
        cacheL1Bytes,
        maxBuckets,
        limits,
        spannerMaxStaleness,
        shutdownGrace,
        cloudMonitoring);
  }

  /**
   * Returns the settings with the Redis URL's password and the AUTH string masked: this is what
   * logs and error messages may show.
   */
  @Override
  public String toString() {
    return "ServerConfig[store="
        + Redaction.redactStore(store)
        + ", grpcPort="
        + grpcPort
        + ", metrics="
        + metricsAddress.getHostAddress()
        + ":"
        + metricsPort
        + ", redisUrl="
        + (redisUrl == null ? "none" : Redaction.redact(redisUrl))
        + ", redisPassword="
        + (redisPassword == null ? "none" : "***")
        + ", redisTimeout="
        + redisTimeout
        + ", redisBackoff="
        + redisBackoff
        + ", cacheMinAge="
        + cacheMinAge
        + ", cacheTtl="
        + cacheTtl
        + ", cacheL1Bytes="
        + cacheL1Bytes
        + ", maxBuckets="
        + maxBuckets
        + ", limits="
        + limits
        + ", spannerMaxStaleness="
        + spannerMaxStaleness
        + ", shutdownGrace="
        + shutdownGrace
        + ", cloudMonitoring="
        + cloudMonitoring.map(CloudMonitoring::project).orElse("none")
        + "]";
  }

  /**
   * Parses a duration in the short form ({@code 50ms}, {@code 10s}, {@code 15m}, {@code 1h}, {@code
   * 2d}) or ISO 8601 ({@code PT1H}).
   *
   * @throws IllegalArgumentException if {@code text} is neither
   */
  public static Duration parseDuration(String text) {
    Matcher m = SHORT_DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(text.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a duration such as 50ms, 10s, 15m, 1h or PT1H", e);
    }
  }

  private static Duration duration(Map<String, String> env, String name, Duration fallback) {
    String text = env.get(name);
    if (text == null) {
      return fallback;
    }
    try {
      Duration d = parseDuration(text);
      if (d.isNegative()) {
        throw new IllegalArgumentException("\"" + text + "\" is negative");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
    }
  }

  private static long positive(Map<String, String> env, String name, long fallback) {
    String text = env.get(name);
    if (text == null) {
      return fallback;
    }
    try {
      long n = Long.parseLong(text.trim());
      if (n > 0 && n <= Integer.MAX_VALUE) {
        return n;
      }
    } catch (NumberFormatException e) {
      // Reported below with the variable's name.
    }
    throw new IllegalArgumentException(name + ": \"" + text + "\" is not a positive whole number");
  }

  private static int port(String name, String text) {
    try {
      int port = Integer.parseInt(text.trim());
      if (port >= 0 && port <= 65_535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // Reported below with the variable's name.
    }
    throw new IllegalArgumentException(name + ": \"" + text + "\" is not a port (0 to 65535)");
  }

  /**
   * Parses a Redis URL setting ({@code redis://[user:password@]host[:port][/db]} or {@code
   * rediss://…}); null or blank gives null. The error names the setting and shows the text with its
   * credentials masked: the URL may hold the AUTH string.
   *
   * @param setting the setting's name for the error, e.g. {@code EVENTFLOW_REDIS_URL}
   * @throws IllegalArgumentException if the text is not such a URL
   */
  public static URI redisUrl(String setting, String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      URI url = new URI(text.trim());
      if (!("redis".equals(url.getScheme()) || "rediss".equals(url.getScheme()))
          || url.getHost() == null
          || (url.getPath() != null && !url.getPath().matches("(/[0-9]*)?"))) {
        throw new URISyntaxException(text, "expected redis://host:port[/db] or rediss://…");
      }
      return url;
    } catch (URISyntaxException e) {
      // The URL may hold the AUTH string: never echo it.
      throw new IllegalArgumentException(
          setting
              + ": \""
              + Redaction.redactUrlText(text.trim())
              + "\" is not a redis://host:port URL");
    }
  }

  private static String blankToNull(String text) {
    return text == null || text.isBlank() ? null : text.strip();
  }

  private static InetAddress address(String text) {
    if (text == null || text.isBlank()) {
      return WILDCARD;
    }
    try {
      // Only literal addresses: a name would need DNS at startup, and "localhost" may resolve to
      // an address the scraper does not use.
      if (!text.strip().matches("[0-9a-fA-F.:]+")) {
        throw new UnknownHostException(text);
      }
      return InetAddress.getByName(text.strip());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "EVENTFLOW_METRICS_HOST: \""
              + text
              + "\" is not an IP address such as 127.0.0.1 or 0.0.0.0");
    }
  }
}
