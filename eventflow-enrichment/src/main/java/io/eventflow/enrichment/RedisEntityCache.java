package io.eventflow.enrichment;

import com.github.benmanes.caffeine.cache.Ticker;
import com.google.protobuf.InvalidProtocolBufferException;
import io.eventflow.common.Redaction;
import io.eventflow.common.pb.Entity;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The shared second level in Redis: one key per entity, {@code eventflow:entity:KIND:KEY}, holding
 * a marker byte and the serialized {@link Entity} (or only the marker for "not found"), with the
 * positive or negative TTL. A batch is one {@code MGET}; a write-back is one pipeline of {@code
 * PSETEX}: one round trip each, whatever the batch size.
 *
 * <p>An optimization, never a dependency: every operation has a short timeout; a failure is
 * counted, logged once per back-off and answered as misses, and Redis is skipped for the back-off
 * so a dead Redis costs one timeout per back-off period, not one per bundle.
 */
public final class RedisEntityCache implements EntityCache {
  private static final Logger logger = Logger.getLogger(RedisEntityCache.class.getName());
  private static final String PREFIX = "eventflow:entity:";
  private static final byte NOT_FOUND = 0;
  private static final byte FOUND = 1;

  /**
   * How Redis is reached and how long answers live there.
   *
   * @param url {@code redis://[user:password@]host:port[/db]}
   * @param timeout connect, read and pool-wait timeout of each operation
   * @param poolSize most connections (the worker's threads that enrich at once)
   * @param positiveTtl how long a found entity stays
   * @param negativeTtl how long "not found" stays
   * @param backoff how long Redis is skipped after a failure
   */
  public record Settings(
      URI url,
      Duration timeout,
      int poolSize,
      Duration positiveTtl,
      Duration negativeTtl,
      Duration backoff) {
    /** Masks a password in the URL: settings may be logged. */
    @Override
    public String toString() {
      return "Settings[url=" + Redaction.redact(url) + ", timeout=" + timeout + "]";
    }
  }

  private final UnifiedJedis redis;
  private final Settings settings;
  private final Ticker ticker;
  private final LookupStats stats;
  private volatile long skipUntilNanos;
  private volatile boolean skipping;

  private RedisEntityCache(
      UnifiedJedis redis, Settings settings, Ticker ticker, LookupStats stats) {
    this.redis = redis;
    this.settings = settings;
    this.ticker = ticker;
    this.stats = stats;
  }

  /**
   * Connects lazily (an unreachable Redis does not stop the caller from starting).
   *
   * @param stats where failures are counted (the lookup's, {@link EntityLookup#stats()})
   */
  public static RedisEntityCache connect(Settings settings, Ticker ticker, LookupStats stats) {
    URI url = settings.url();
    if (!"redis".equals(url.getScheme()) || url.getHost() == null) {
      throw new IllegalArgumentException("not a redis://host:port URL: " + Redaction.redact(url));
    }
    int millis = Math.toIntExact(settings.timeout().toMillis());
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(millis)
            .socketTimeoutMillis(millis);
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
    pool.setMaxTotal(settings.poolSize());
    pool.setMaxIdle(settings.poolSize());
    pool.setMaxWait(settings.timeout());
    RedisClient client =
        RedisClient.builder()
            .hostAndPort(url.getHost(), url.getPort() < 0 ? 6379 : url.getPort())
            .clientConfig(config.build())
            .poolConfig(pool)
            .build();
    return new RedisEntityCache(client, settings, ticker, stats);
  }

  @Override
  public Map<String, Optional<Entity>> getAll(String kind, Collection<String> keys) {
    if (keys.isEmpty() || skipping()) {
      return Map.of();
    }
    List<String> order = new ArrayList<>(keys);
    byte[][] redisKeys = new byte[order.size()][];
    for (int i = 0; i < redisKeys.length; i++) {
      redisKeys[i] = redisKey(kind, order.get(i));
    }
    List<byte[]> values;
    try {
      stats.l2Reads.increment();
      values = redis.mget(redisKeys);
    } catch (RuntimeException e) {
      failed("MGET of " + redisKeys.length + " keys", e);
      return Map.of();
    }
    Map<String, Optional<Entity>> hits = new HashMap<>();
    for (int i = 0; i < values.size(); i++) {
      byte[] value = values.get(i);
      if (value == null || value.length == 0) {
        continue;
      }
      if (value[0] == NOT_FOUND) {
        hits.put(order.get(i), Optional.empty());
      } else if (value[0] == FOUND) {
        try {
          hits.put(
              order.get(i), Optional.of(Entity.parser().parseFrom(value, 1, value.length - 1)));
        } catch (InvalidProtocolBufferException e) {
          // Not ours or corrupt: a miss, which the store's answer overwrites.
          continue;
        }
      }
    }
    return hits;
  }

  @Override
  public void putAll(String kind, Map<String, Optional<Entity>> values) {
    if (values.isEmpty() || skipping()) {
      return;
    }
    long positive = settings.positiveTtl().toMillis();
    long negative = settings.negativeTtl().toMillis();
    try (AbstractPipeline pipeline = redis.pipelined()) {
      for (Map.Entry<String, Optional<Entity>> v : values.entrySet()) {
        byte[] key = redisKey(kind, v.getKey());
        if (v.getValue().isPresent()) {
          byte[] entity = v.getValue().get().toByteArray();
          byte[] value = new byte[entity.length + 1];
          value[0] = FOUND;
          System.arraycopy(entity, 0, value, 1, entity.length);
          pipeline.psetex(key, positive, value);
        } else {
          pipeline.psetex(key, negative, new byte[] {NOT_FOUND});
        }
      }
      pipeline.sync();
    } catch (RuntimeException e) {
      failed("PSETEX of " + values.size() + " keys", e);
    }
  }

  private boolean skipping() {
    return skipping && ticker.read() - skipUntilNanos < 0;
  }

  private void failed(String operation, RuntimeException e) {
    stats.l2Failures.increment();
    skipUntilNanos = ticker.read() + settings.backoff().toNanos();
    skipping = true;
    logger.log(
        Level.WARNING,
        "Redis "
            + operation
            + " failed; lookups go to the store, skipping Redis for "
            + settings.backoff(),
        e);
  }

  private static byte[] redisKey(String kind, String key) {
    return (PREFIX + kind + ":" + key).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    redis.close();
  }
}
