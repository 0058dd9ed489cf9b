package io.eventflow.timeseries.srv;

import io.eventflow.common.Redaction;
import io.grpc.Deadline;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.Pool;

/**
 * The second cache level, shared by every replica: answers as bytes in Redis with a time to live.
 *
 * <p>Redis is an optimization, never a dependency: every operation has a short timeout, and a
 * failure is counted as degraded, logged (at most once a minute per kind, with its exception) and
 * reported as a miss (or a dropped write). After a failure the cache skips Redis for a back-off
 * period, so a dead Redis costs one timeout per period instead of one per query. Waiting too long
 * for a pooled connection is not a Redis failure (a burst of concurrent misses, not a sick server):
 * it is counted apart and does not switch Redis off.
 */
public final class RedisCache implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(RedisCache.class.getName());
  private static final String KEY_PREFIX = "eventflow:ts:";

  /** One line per kind of absorbed failure per minute: enough to see it, not enough to flood. */
  private static final Duration LOG_INTERVAL = Duration.ofMinutes(1);

  /**
   * How Redis is reached.
   *
   * @param url {@code redis://[user:password@]host:port[/db]}, {@code rediss://} for TLS
   * @param password the AUTH string, overriding the URL's; null for the URL's or none
   * @param caCertPem PEM certificates to verify a TLS server against; null for the JVM's CAs
   * @param timeout connect, read and pool-wait timeout of each operation
   * @param poolSize most connections: as many as the threads that use the cache at once, so a burst
   *     of misses does not wait for a connection
   * @param ttl how long answers stay in Redis
   * @param backoff how long Redis is skipped after a failure
   */
  public record Settings(
      URI url,
      String password,
      String caCertPem,
      Duration timeout,
      int poolSize,
      Duration ttl,
      Duration backoff) {
    /** Returns the settings of a server's configuration. */
    public static Settings of(ServerConfig config) {
      return new Settings(
          config.redisUrl(),
          config.redisPassword(),
          config.redisCaCert(),
          config.redisTimeout(),
          config.limits().threads(),
          config.cacheTtl(),
          config.redisBackoff());
    }

    /** Returns a copy with a different operation timeout. */
    public Settings withTimeout(Duration timeout) {
      return new Settings(url, password, caCertPem, timeout, poolSize, ttl, backoff);
    }

    /** Returns a copy with a different pool size. */
    public Settings withPoolSize(int poolSize) {
      return new Settings(url, password, caCertPem, timeout, poolSize, ttl, backoff);
    }

    /** Masks the password: settings may be logged. */
    @Override
    public String toString() {
      return "Settings[url="
          + Redaction.redact(url)
          + ", password="
          + (password == null ? "none" : "***")
          + ", timeout="
          + timeout
          + ", poolSize="
          + poolSize
          + "]";
    }
  }

  private final UnifiedJedis redis;
  private final Pool<Connection> pool;
  private final long ttlSeconds;
  private final long timeoutNanos;
  private final long backoffMillis;
  private final Clock clock;
  private final Metrics metrics;
  private final RateLimitedLog log;
  private volatile long skipUntilMillis = Long.MIN_VALUE;

  private RedisCache(RedisClient redis, Settings settings, Clock clock, Metrics metrics) {
    this.redis = redis;
    this.pool = redis.getPool();
    this.ttlSeconds = Math.max(1, settings.ttl().toSeconds());
    this.timeoutNanos = settings.timeout().toNanos();
    this.backoffMillis = settings.backoff().toMillis();
    this.clock = clock;
    this.metrics = metrics;
    this.log = new RateLimitedLog(logger, clock, LOG_INTERVAL);
  }

  /**
   * Connects to Redis with a connect, read and pool-wait timeout. Connections are made lazily, so
   * an unreachable Redis does not stop the service from starting.
   *
   * @throws IllegalArgumentException if the CA certificates cannot be read
   */
  public static RedisCache connect(Settings settings, Clock clock, Metrics metrics) {
    URI url = settings.url();
    int millis = Math.toIntExact(settings.timeout().toMillis());
    boolean tls = "rediss".equals(url.getScheme());
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(millis)
            .socketTimeoutMillis(millis)
            .ssl(tls);
    if (tls && settings.caCertPem() != null) {
      config.sslSocketFactory(trusting(settings.caCertPem()));
    }
    String userInfo = url.getUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      if (colon < 0) {
        config.password(userInfo);
      } else {
        if (colon > 0) {
          config.user(userInfo.substring(0, colon));
        }
        config.password(userInfo.substring(colon + 1));
      }
    }
    if (settings.password() != null) {
      config.password(settings.password());
    }
    String path = url.getPath();
    if (path != null && path.length() > 1) {
      config.database(Integer.parseInt(path.substring(1)));
    }
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(settings.poolSize());
    pool.setMaxIdle(settings.poolSize());
    // Waiting for a pooled connection is bounded like every other Redis step.
    pool.setMaxWait(settings.timeout());
    RedisClient client =
        RedisClient.builder()
            .hostAndPort(url.getHost(), url.getPort() < 0 ? 6379 : url.getPort())
            .clientConfig(config.build())
            .poolConfig(pool)
            .build();
    return new RedisCache(client, settings, clock, metrics);
  }

  /** Returns a TLS socket factory trusting only the PEM certificates given. */
  private static SSLSocketFactory trusting(String pem) {
    try {
      KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
      trusted.load(null, null);
      int i = 0;
      for (Certificate c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        trusted.setCertificateEntry("redis-ca-" + i++, c);
      }
      if (i == 0) {
        throw new GeneralSecurityException("no certificate in the PEM text");
      }
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(trusted);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, trust.getTrustManagers(), null);
      return tls.getSocketFactory();
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalArgumentException(
          "EVENTFLOW_REDIS_CA_CERT: not PEM X.509 certificates (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Returns whether a call with {@code deadline} has time for a Redis operation: one that might
   * take the whole Redis timeout is skipped when less than that is left, and the query goes
   * straight to the store.
   */
  public boolean hasTimeFor(Deadline deadline) {
    return deadline.timeRemaining(TimeUnit.NANOSECONDS) > timeoutNanos;
  }

  /** Returns the cached bytes for {@code key}, or null on a miss or when Redis is failing. */
  public byte[] get(String key) {
    if (skipping()) {
      return null;
    }
    try {
      byte[] value = redis.get(redisKey(key));
      metrics.cacheLookup("l2", value != null);
      return value;
    } catch (RuntimeException e) {
      failed("get", e);
      return null;
    }
  }

  /** Stores bytes under {@code key} with the time to live, unless Redis is failing. */
  public void put(String key, byte[] value) {
    if (skipping()) {
      return;
    }
    try {
      redis.setex(redisKey(key), ttlSeconds, value);
    } catch (RuntimeException e) {
      failed("put", e);
    }
  }

  /** Counts and logs a value under {@code key} that failed its checks (it will be overwritten). */
  void corrupt(String key) {
    metrics.cacheDegraded(Metrics.Degraded.CORRUPT);
    log.log(
        Level.WARNING,
        "corrupt",
        "a cached value failed its version or checksum check and was not served (key "
            + KEY_PREFIX
            + key
            + ")",
        null);
  }

  private boolean skipping() {
    if (clock.millis() < skipUntilMillis) {
      metrics.cacheDegraded(Metrics.Degraded.SKIPPED);
      return true;
    }
    return false;
  }

  private void failed(String operation, RuntimeException e) {
    if (isPoolWait(e)) {
      // Every connection was busy for the whole timeout: Redis is not at fault, keep using it.
      metrics.cacheDegraded(Metrics.Degraded.POOL_WAIT);
      log.log(
          Level.WARNING,
          "pool_wait",
          "Redis " + operation + " found no free connection in time; answered from the store",
          e);
      return;
    }
    metrics.cacheDegraded(Metrics.Degraded.FAILED);
    skipUntilMillis = clock.millis() + backoffMillis;
    log.log(
        Level.WARNING,
        "failed",
        "Redis " + operation + " failed; skipping Redis for " + backoffMillis + " ms",
        e);
  }

  /**
   * Returns whether {@code e} is a timeout waiting for a pooled connection: Jedis wraps commons
   * pool's {@code NoSuchElementException("Timeout waiting for idle object…")}. A failure to create
   * or validate a connection is a Redis failure.
   */
  static boolean isPoolWait(Throwable e) {
    return e.getCause() instanceof NoSuchElementException nse
        && nse.getMessage() != null
        && nse.getMessage().startsWith("Timeout waiting");
  }

  private static byte[] redisKey(String key) {
    return (KEY_PREFIX + key).getBytes(StandardCharsets.UTF_8);
  }

  /** Returns the connection pool, for tests that hold its connections. */
  Pool<Connection> pool() {
    return pool;
  }

  /** Closes the connection pool. */
  @Override
  public void close() {
    redis.close();
  }
}
