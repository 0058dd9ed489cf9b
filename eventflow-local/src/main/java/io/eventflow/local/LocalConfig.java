package io.eventflow.local;

import io.eventflow.common.Redaction;
import io.eventflow.mqtt.BridgeConfig;
import io.eventflow.mqtt.TopicTemplate;
import io.eventflow.timeseries.srv.ServerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What {@link LocalStack} runs with.
 *
 * @param dataDir where the broker log, the interval database and the warehouse live
 * @param host the loopback address every endpoint binds to
 * @param pubsubPort the broker's port, gRPC and REST (0 picks a free one)
 * @param grpcPort the query service's port (0 picks a free one)
 * @param metricsPort the query service's Prometheus port (0 picks a free one, -1 disables it)
 * @param rollups the custom rollup spec, {@code type:func:attribute,...} (empty for counts only)
 * @param flushInterval how often rollups write partial aggregates
 * @param redisUrl Redis for the query cache's second level, if any
 * @param runner the engine both jobs run on
 * @param checkpointInterval how often the Flink runner checkpoints; what it has checkpointed is
 *     written out and acknowledged, so this bounds how far writes lag behind reads
 * @param mqttPort the embedded MQTT broker's port (0 picks a free one, -1 runs no MQTT broker and
 *     bridge)
 * @param mqttTemplates the MQTT bridge's topic templates, tried in order
 * @param collectorPort the collector's port (0 picks a free one, -1 runs no collector); open, on
 *     the stack's loopback host
 * @param enrichment ingest's enrichment against the stack's own entities table, if any
 */
public record LocalConfig(
    Path dataDir,
    String host,
    int pubsubPort,
    int grpcPort,
    int metricsPort,
    String rollups,
    Duration flushInterval,
    Optional<URI> redisUrl,
    LocalRunner runner,
    Duration checkpointInterval,
    int mqttPort,
    List<String> mqttTemplates,
    int collectorPort,
    Optional<Enrichment> enrichment) {

  /**
   * Ingest's enrichment in the stack: {@code by} is ingest's {@code --enrichBy} ({@code customer},
   * {@code source} or {@code attribute:NAME}) and {@code kind} its {@code --enrichKind} (empty: the
   * kind {@code by} names). The ingest job checks both when the stack starts.
   */
  public record Enrichment(String by, String kind) {}

  /**
   * The defaults of {@code eventflow local}: ports 8085 and 9090, data in {@code ./.eventflow}; no
   * MQTT broker here (the command's {@code --mqtt-port} defaults to 1883, a well-known port tests
   * must not take).
   */
  public static LocalConfig defaults() {
    return new LocalConfig(
        Path.of(".eventflow"),
        "127.0.0.1",
        8085,
        9090,
        -1,
        "",
        Duration.ofSeconds(2),
        Optional.empty(),
        LocalRunner.FLINK,
        Duration.ofSeconds(2),
        -1,
        BridgeConfig.DEFAULT_TEMPLATES,
        -1,
        Optional.empty());
  }

  /** Checks the values a user can get wrong. */
  public LocalConfig {
    if (flushInterval.isNegative() || flushInterval.toSeconds() < 1) {
      throw new IllegalArgumentException(
          "flush interval must be at least 1s, got " + flushInterval);
    }
    if (checkpointInterval.toMillis() < 100) {
      throw new IllegalArgumentException(
          "checkpoint interval must be at least 100ms, got " + checkpointInterval);
    }
    checkPort("Pub/Sub port", pubsubPort);
    checkPort("gRPC port", grpcPort);
    if (metricsPort < -1 || metricsPort > 65_535) {
      throw new IllegalArgumentException("metrics port must be -1 or 0-65535, got " + metricsPort);
    }
    if (mqttPort < -1 || mqttPort > 65_535) {
      throw new IllegalArgumentException("MQTT port must be -1 or 0-65535, got " + mqttPort);
    }
    mqttTemplates = List.copyOf(mqttTemplates);
    if (collectorPort < -1 || collectorPort > 65_535) {
      throw new IllegalArgumentException(
          "collector port must be -1 or 0-65535, got " + collectorPort);
    }
    for (String template : mqttTemplates) {
      TopicTemplate.parse(template); // a bad template is a one-line error at start
    }
    // One line, credentials masked, instead of a failure inside the Redis client later.
    redisUrl.ifPresent(url -> ServerConfig.redisUrl("Redis URL", url.toString()));
  }

  /**
   * Returns the settings with the Redis URL's credentials masked: the record's own text would show
   * its password wherever a configuration is logged or put in a message.
   */
  @Override
  public String toString() {
    return "LocalConfig[dataDir="
        + dataDir
        + ", host="
        + host
        + ", pubsubPort="
        + pubsubPort
        + ", grpcPort="
        + grpcPort
        + ", metricsPort="
        + metricsPort
        + ", rollups="
        + rollups
        + ", flushInterval="
        + flushInterval
        + ", redisUrl="
        + redisUrl.map(Redaction::redact).orElse("none")
        + ", runner="
        + runner
        + ", checkpointInterval="
        + checkpointInterval
        + ", mqttPort="
        + mqttPort
        + ", mqttTemplates="
        + mqttTemplates
        + ", collectorPort="
        + collectorPort
        + ", enrichment="
        + enrichment.map(Enrichment::toString).orElse("none")
        + "]";
  }

  private static void checkPort(String what, int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(what + " must be 0-65535, got " + port);
    }
  }

  /** Returns this config with another data directory. */
  public LocalConfig withDataDir(Path dir) {
    return new LocalConfig(
        dir,
        host,
        pubsubPort,
        grpcPort,
        metricsPort,
        rollups,
        flushInterval,
        redisUrl,
        runner,
        checkpointInterval,
        mqttPort,
        mqttTemplates,
        collectorPort,
        enrichment);
  }

  /** Returns this config with other ports (0 picks free ones). */
  public LocalConfig withPorts(int pubsub, int grpc, int metrics) {
    return new LocalConfig(
        dataDir,
        host,
        pubsub,
        grpc,
        metrics,
        rollups,
        flushInterval,
        redisUrl,
        runner,
        checkpointInterval,
        mqttPort,
        mqttTemplates,
        collectorPort,
        enrichment);
  }

  /** Returns this config with another rollup spec. */
  public LocalConfig withRollups(String spec) {
    return new LocalConfig(
        dataDir,
        host,
        pubsubPort,
        grpcPort,
        metricsPort,
        spec,
        flushInterval,
        redisUrl,
        runner,
        checkpointInterval,
        mqttPort,
        mqttTemplates,
        collectorPort,
        enrichment);
  }

  /** Returns this config with another flush interval. */
  public LocalConfig withFlushInterval(Duration interval) {
    return new LocalConfig(
        dataDir,
        host,
        pubsubPort,
        grpcPort,
        metricsPort,
        rollups,
        interval,
        redisUrl,
        runner,
        checkpointInterval,
        mqttPort,
        mqttTemplates,
        collectorPort,
        enrichment);
  }

  /** Returns this config with Redis as the second cache level. */
  public LocalConfig withRedis(URI url) {
    return new LocalConfig(
        dataDir,
        host,
        pubsubPort,
        grpcPort,
        metricsPort,
        rollups,
        flushInterval,
        Optional.of(url),
        runner,
        checkpointInterval,
        mqttPort,
        mqttTemplates,
        collectorPort,
        enrichment);
  }

  /** Returns this config running the jobs on another engine. */
  public LocalConfig withRunner(LocalRunner engine) {
    return new LocalConfig(
        dataDir,
        host,
        pubsubPort,
        grpcPort,
        metricsPort,
        rollups,
        flushInterval,
        redisUrl,
        engine,
        checkpointInterval,
        mqttPort,
        mqttTemplates,
        collectorPort,
        enrichment);
  }

  /** Returns this config with another checkpoint interval (Flink runner only). */
  public LocalConfig withCheckpointInterval(Duration interval) {
    return new LocalConfig(
        dataDir,
        host,
        pubsubPort,
        grpcPort,
        metricsPort,
        rollups,
        flushInterval,
        redisUrl,
        runner,
        interval,
        mqttPort,
        mqttTemplates,
        collectorPort,
        enrichment);
  }

  /** Returns this config with the embedded MQTT broker on {@code port} and these templates. */
  public LocalConfig withMqtt(int port, List<String> templates) {
    return new LocalConfig(
        dataDir,
        host,
        pubsubPort,
        grpcPort,
        metricsPort,
        rollups,
        flushInterval,
        redisUrl,
        runner,
        checkpointInterval,
        port,
        templates,
        collectorPort,
        enrichment);
  }

  /** Returns this config with the collector on {@code port} (-1: none). */
  public LocalConfig withCollector(int port) {
    return new LocalConfig(
        dataDir,
        host,
        pubsubPort,
        grpcPort,
        metricsPort,
        rollups,
        flushInterval,
        redisUrl,
        runner,
        checkpointInterval,
        mqttPort,
        mqttTemplates,
        port,
        enrichment);
  }

  /** Returns this config with ingest's enrichment on, against the stack's entities table. */
  public LocalConfig withEnrichment(Enrichment enrich) {
    return new LocalConfig(
        dataDir,
        host,
        pubsubPort,
        grpcPort,
        metricsPort,
        rollups,
        flushInterval,
        redisUrl,
        runner,
        checkpointInterval,
        mqttPort,
        mqttTemplates,
        collectorPort,
        Optional.of(enrich));
  }
}
