package io.eventflow.timeseries.srv;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The second cache level, shared by every replica: answers as bytes in Redis with a time to live.
 *
 * <p>Redis is an optimization, never a dependency: every operation has a short timeout, and a
 * failure is counted as degraded and reported as a miss (or a dropped write). After a failure the
 * cache skips Redis for a back-off period, so a dead Redis costs one timeout per period instead of
 * one per query.
 */
public final class RedisCache implements AutoCloseable {
  private static final String KEY_PREFIX = "eventflow:ts:";

  private final UnifiedJedis redis;
  private final long ttlSeconds;
  private final long backoffMillis;
  private final Clock clock;
  private final Metrics metrics;
  private volatile long skipUntilMillis = Long.MIN_VALUE;

  /**
   * Creates a cache over a client it owns.
   *
   * @param ttl how long answers stay in Redis
   * @param backoff how long to skip Redis after a failure
   */
  public RedisCache(
      UnifiedJedis redis, Duration ttl, Duration backoff, Clock clock, Metrics metrics) {
    this.redis = redis;
    this.ttlSeconds = Math.max(1, ttl.toSeconds());
    this.backoffMillis = backoff.toMillis();
    this.clock = clock;
    this.metrics = metrics;
  }

  /**
   * Connects to Redis at a {@code redis://[user:password@]host:port[/db]} URL ({@code rediss://}
   * for TLS) with a connect and read timeout. Connections are made lazily, so an unreachable Redis
   * does not stop the service from starting.
   */
  public static RedisCache connect(
      URI url, Duration timeout, Duration ttl, Duration backoff, Clock clock, Metrics metrics) {
    int millis = Math.toIntExact(timeout.toMillis());
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(millis)
            .socketTimeoutMillis(millis)
            .ssl("rediss".equals(url.getScheme()));
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
    String path = url.getPath();
    if (path != null && path.length() > 1) {
      config.database(Integer.parseInt(path.substring(1)));
    }
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    // Waiting for a pooled connection is bounded like every other Redis step.
    pool.setMaxWait(timeout);
    RedisClient client =
        RedisClient.builder()
            .hostAndPort(url.getHost(), url.getPort() < 0 ? 6379 : url.getPort())
            .clientConfig(config.build())
            .poolConfig(pool)
            .build();
    return new RedisCache(client, ttl, backoff, clock, metrics);
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
      failed();
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
      failed();
    }
  }

  private boolean skipping() {
    if (clock.millis() < skipUntilMillis) {
      metrics.cacheDegraded();
      return true;
    }
    return false;
  }

  private void failed() {
    metrics.cacheDegraded();
    skipUntilMillis = clock.millis() + backoffMillis;
  }

  private static byte[] redisKey(String key) {
    return (KEY_PREFIX + key).getBytes(StandardCharsets.UTF_8);
  }

  /** Closes the connection pool. */
  @Override
  public void close() {
    redis.close();
  }
}
