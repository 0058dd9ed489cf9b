package io.eventflow.local;

import com.google.protobuf.util.Durations;
import com.google.pubsub.v1.ProjectSubscriptionName;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.TopicName;
import io.eventflow.beam.SingleProcessOptions;
import io.eventflow.broker.Broker;
import io.eventflow.broker.BrokerConfig;
import io.eventflow.collector.LocalCollector;
import io.eventflow.common.UuidV7Generator;
import io.eventflow.ingest.IngestPipeline;
import io.eventflow.mqtt.LocalMqttBridge;
import io.eventflow.publisher.PubSubAdmin;
import io.eventflow.timeseries.rollups.RollupsPipeline;
import io.eventflow.timeseries.srv.ServerConfig;
import io.eventflow.timeseries.srv.TimeSeriesServer;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.jdbc.JdbcEntityStore;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalStore;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory;
import org.apache.beam.sdk.extensions.gcp.options.GcpOptions;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.FileStagingOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole eventflow pipeline in one process, on the embedded default: eventflow-broker (durable,
 * under {@code DIR/broker}) in place of Pub/Sub, the ingest and rollups jobs on Beam's DirectRunner
 * reading and writing through the broker over the wire, gzip JSON-lines archive files under {@code
 * DIR/warehouse} in place of BigQuery, an H2 database under {@code DIR/intervals} in place of
 * Spanner, and the query service on its gRPC port.
 *
 * <p>{@link #close()} drains before it stops: it waits until both subscriptions are fully
 * acknowledged, then for the last rollup panes and archive windows to fire, so that a stopped stack
 * started again on the same directory has lost and double-counted nothing.
 */
public final class LocalStack implements AutoCloseable {
  /** The project every local resource lives in. */
  public static final String PROJECT = "eventflow-local";

  /** The topic producers publish to. */
  public static final String EVENTS_TOPIC = "events";

  /** The topic ingest republishes valid events to. */
  public static final String VALIDATED_TOPIC = "events-validated";

  /** Ingest's subscription to {@link #EVENTS_TOPIC}. */
  public static final String INGEST_SUBSCRIPTION = "events-ingest";

  /**
   * Rollups' subscription to {@link #VALIDATED_TOPIC} before rollups took ingest's events within
   * the job: deleted when found, since nothing reads it any more and its backlog would only grow.
   */
  static final String FORMER_ROLLUPS_SUBSCRIPTION = "events-rollups";

  /**
   * The archive's window. One minute, Beam's finest for that option: files appear about a minute
   * after their events, and a clean stop waits at most that long for the last ones.
   */
  static final Duration ARCHIVE_WINDOW = Duration.ofMinutes(1);

  /**
   * Subscriptions give a job this long to acknowledge before redelivering. The DirectRunner acks
   * when a bundle's checkpoint is finalized, which under load on two cores takes seconds, not the
   * default 10 s: 60 s keeps redeliveries (and the dedup work they cause) rare.
   */
  private static final int ACK_DEADLINE_SECONDS = 60;

  /**
   * How often Flink checkpoints an idle stack: once no message has been waiting for a while (see
   * {@link CheckpointPacer}), checkpoints every 2 s would cost about a third of the idle CPU for
   * nothing.
   */
  static final Duration IDLE_CHECKPOINT_INTERVAL = Duration.ofMinutes(1);

  /** Keys the rollups job combines series on: a few per core of a laptop. */
  private static final int SERIES_SHARDS = 8;

  private static final Logger logger = LoggerFactory.getLogger(LocalStack.class);

  /**
   * Key groups of the jobs' keyed state. Fixed: Flink restores a checkpoint only into a job with
   * the same maximum parallelism.
   */
  private static final int MAX_PARALLELISM = 128;

  private final LocalConfig config;
  private final Broker broker;
  private final @Nullable EmbeddedFlink flink;
  private final PipelineResult jobs;
  private final TimeSeriesServer server;

  /** Checkpoints while events flow; null on the DirectRunner or with a long interval. */
  private @Nullable CheckpointPacer pacer;

  /** The embedded MQTT broker and its bridge to the events topic; null without an MQTT port. */
  private @Nullable LocalMqttBridge mqtt;

  /** The collector (HTTP, gRPC, eventflow.js); null without a collector port. */
  private @Nullable LocalCollector collector;

  private LocalStack(
      LocalConfig config,
      Broker broker,
      @Nullable EmbeddedFlink flink,
      PipelineResult jobs,
      TimeSeriesServer server) {
    this.config = config;
    this.broker = broker;
    this.flink = flink;
    this.jobs = jobs;
    this.server = server;
  }

  /**
   * Starts every part of the stack, creating the data directory, topics and subscriptions when they
   * are missing, and returns once all of them are serving.
   *
   * @throws LocalStackException with a one-line message if a part cannot start (a port in use, an
   *     unwritable directory, a bad rollup spec); whatever had started is stopped again
   */
  public static LocalStack start(LocalConfig config) throws LocalStackException {
    Path dir = config.dataDir().toAbsolutePath().normalize();
    prepare(dir);
    List<AutoCloseable> started = new ArrayList<>();
    try {
      long began = System.nanoTime();
      // The Flink cluster takes seconds to start (its RPC system, task manager, RocksDB's native
      // library): it starts alongside the broker, the options and the query service.
      CompletableFuture<EmbeddedFlink> flinkStarting = startFlink(config, dir);
      started.add(() -> closeWhenStarted(flinkStarting));
      Broker broker = startBroker(config, dir.resolve("broker"));
      started.add(broker);
      createResources(broker.hostAndPort());
      LocalMqttBridge mqtt = startMqtt(config, broker, dir.resolve("mqtt"));
      if (mqtt != null) {
        started.add(mqtt);
      }
      LocalCollector collector = startCollector(config, broker);
      if (collector != null) {
        started.add(collector);
      }
      long brokerReady = System.nanoTime();

      String store = storeUrl(dir);
      PipelineOptions options = jobOptions(config, broker, dir, store);
      // The query service needs only the store: it answers while the jobs are being submitted.
      TimeSeriesServer server = startServer(config, store);
      started.add(server::stop);
      long serving = System.nanoTime();

      EmbeddedFlink flink = flinkStarting.get();
      boolean restored = false;
      if (flink != null) {
        restored = onFlink(options, flink, dir.resolve("flink"), config.checkpointInterval());
      }
      long engineReady = System.nanoTime();
      PipelineResult jobs = runJobs(options);
      started.add(() -> jobs.cancel());
      CheckpointPacer pacer = null;
      if (flink != null && config.checkpointInterval().compareTo(IDLE_CHECKPOINT_INTERVAL) < 0) {
        pacer =
            CheckpointPacer.start(
                config.checkpointInterval(),
                checkpointGrace(config),
                () -> broker.unacknowledged(subscriptionPath(INGEST_SUBSCRIPTION)),
                flink::triggerCheckpoint,
                restored);
        started.add(pacer);
      }
      long done = System.nanoTime();
      logger.info(
          "started in {} ms: broker {} ms, query service {} ms, waiting for {} {} ms, jobs"
              + " submitted {} ms",
          (done - began) / 1_000_000,
          (brokerReady - began) / 1_000_000,
          (serving - brokerReady) / 1_000_000,
          flink != null ? "the Flink cluster" : "nothing",
          (engineReady - serving) / 1_000_000,
          (done - engineReady) / 1_000_000);
      LocalStack stack = new LocalStack(config, broker, flink, jobs, server);
      stack.pacer = pacer;
      stack.mqtt = mqtt;
      stack.collector = collector;
      return stack;
    } catch (LocalStackException e) {
      closeAll(started);
      throw e;
    } catch (IllegalArgumentException e) {
      closeAll(started);
      // The jobs list their option problems one per indented line: one line for the user.
      throw new LocalStackException(
          String.valueOf(e.getMessage()).replace(":\n  ", ": ").replace("\n  ", "; "), e);
    } catch (ExecutionException e) {
      closeAll(started);
      throw new LocalStackException(
          "the embedded Flink cluster failed to start: " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      closeAll(started);
      Thread.currentThread().interrupt();
      throw new LocalStackException("interrupted while starting", e);
    } catch (Exception e) {
      closeAll(started);
      throw new LocalStackException("the local stack failed to start: " + e.getMessage(), e);
    }
  }

  /**
   * The JDBC URL of the interval store under the data directory, shared by the rollups job (writer)
   * and the query service (reader).
   *
   * <p>{@code async:} files, not H2's default {@code file:}: a Java {@code FileChannel} closes
   * itself for every thread when the thread using it is interrupted, and Flink interrupts a task's
   * thread when it cancels the task (a failed checkpoint, a restart, a stop). With {@code file:}
   * one such interrupt during a store read or write left the database unusable for the rest of the
   * process ({@code ClosedChannelException} on every later query and write; seen at 10,000
   * events/s). H2's {@code async:} file system is not closed by interrupts. H2 closes its databases
   * from a JVM shutdown hook by default, which would fail the rollups job in the middle of a clean
   * stop: the stack closes the store itself ({@code DB_CLOSE_ON_EXIT=FALSE}).
   *
   * <p>Every commit is in the file when it returns ({@code WRITE_DELAY=0}; H2 otherwise keeps
   * commits in memory for up to 500 ms and writes them from a background thread). The rollups job
   * writes a checkpoint's rows once the checkpoint completed, and a restore hands over again only
   * the rows of the checkpoint it restores: a commit still in memory when the next checkpoint
   * completed would be lost by a {@code kill -9}. Written, not forced to the disk: what the
   * operating system holds survives the process, not a power cut.
   */
  static String storeUrl(Path dir) {
    return "jdbc:h2:async:"
        + dir.resolve("intervals").resolve("intervals")
        + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
  }

  /** Starts the embedded Flink cluster on a thread of its own, or nothing for the DirectRunner. */
  private static CompletableFuture<EmbeddedFlink> startFlink(LocalConfig config, Path dir) {
    if (config.runner() != LocalRunner.FLINK) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<EmbeddedFlink> starting = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                starting.complete(EmbeddedFlink.start(dir.resolve("flink"), config.host()));
              } catch (Throwable t) {
                starting.completeExceptionally(t);
              }
            },
            "eventflow-flink-start");
    thread.setDaemon(true);
    thread.start();
    return starting;
  }

  private static void closeWhenStarted(CompletableFuture<EmbeddedFlink> starting) throws Exception {
    EmbeddedFlink flink;
    try {
      flink = starting.get();
    } catch (ExecutionException e) {
      return; // it never started
    }
    if (flink != null) {
      flink.close();
    }
  }

  private static void prepare(Path dir) throws LocalStackException {
    try {
      for (String sub : new String[] {"broker", "warehouse", "intervals"}) {
        Files.createDirectories(dir.resolve(sub));
      }
      Path probe = Files.createTempFile(dir, ".write-check", "");
      Files.delete(probe);
      // An archive file is written under a temporary name and moved into place; a killed process
      // leaves the temporary file, which no reader's *.json.gz pattern matches.
      try (Stream<Path> files = Files.walk(dir.resolve("warehouse"))) {
        for (Path file : files.toList()) {
          if (file.getFileName().toString().startsWith(".writing-")) {
            Files.deleteIfExists(file);
          }
        }
      }
    } catch (IOException | SecurityException e) {
      throw new LocalStackException("cannot write to the data directory " + dir + ": " + e, e);
    }
  }

  private static Broker startBroker(LocalConfig config, Path dir) throws LocalStackException {
    try {
      return Broker.start(
          BrokerConfig.builder()
              .host(config.host())
              .port(config.pubsubPort())
              .dataDir(dir)
              .build());
    } catch (IOException e) {
      if (isBindFailure(e)) {
        throw new LocalStackException(
            "the Pub/Sub port " + config.pubsubPort() + " is already in use (try --pubsub-port)",
            e);
      }
      throw new LocalStackException("the broker cannot start on " + dir + ": " + e.getMessage(), e);
    }
  }

  private static TimeSeriesServer startServer(LocalConfig config, String store)
      throws LocalStackException, StoreException {
    ServerConfig serverConfig =
        ServerConfig.defaults(store, config.grpcPort(), config.metricsPort())
            // Prometheus metrics are for this machine only: loopback, not every interface.
            .withMetricsAddress(InetAddress.getLoopbackAddress());
    if (config.redisUrl().isPresent()) {
      serverConfig = serverConfig.withRedis(config.redisUrl().get());
    }
    // The entities table is in the same database: `eventflow entities load` reaches it here.
    TimeSeriesServer server =
        new TimeSeriesServer(
            NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.grpcPort())),
            JdbcIntervalStore.open(store, Clock.systemUTC()),
            JdbcEntityStore.open(store, Clock.systemUTC()),
            serverConfig,
            Clock.systemUTC());
    try {
      return server.start();
    } catch (IOException e) {
      if (isBindFailure(e)) {
        throw new LocalStackException(
            "the gRPC port " + config.grpcPort() + " is already in use (try --grpc-port)", e);
      }
      throw new LocalStackException("the query service cannot start: " + e.getMessage(), e);
    }
  }

  /**
   * Whether a server failed to bind its port. gRPC's Netty transports report it as an IOException
   * "Failed to bind to address", caused by a BindException or, on epoll, a native exception.
   */
  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof BindException
          || message.startsWith("Failed to bind")
          || message.contains("Address already in use")) {
        return true;
      }
    }
    return false;
  }

  /** Creates the topics and subscriptions through the broker's own Pub/Sub API, if missing. */
  private static void createResources(String hostAndPort) throws IOException {
    // Started before on this directory: what exists is left as it is, and each subscription
    // resumes from its persisted position.
    try (PubSubAdmin admin = PubSubAdmin.connect(hostAndPort)) {
      for (String topic :
          new String[] {EVENTS_TOPIC, VALIDATED_TOPIC, LocalMqttBridge.DEAD_LETTER_TOPIC}) {
        admin.createTopic(TopicName.of(PROJECT, topic));
      }
      createSubscription(admin, INGEST_SUBSCRIPTION, EVENTS_TOPIC);
      admin.deleteSubscription(subscriptionPath(FORMER_ROLLUPS_SUBSCRIPTION));
      createSubscription(
          admin, LocalMqttBridge.DEAD_LETTER_SUBSCRIPTION, LocalMqttBridge.DEAD_LETTER_TOPIC);
    }
  }

  private static void createSubscription(PubSubAdmin admin, String subscription, String topic) {
    admin.createSubscription(
        Subscription.newBuilder()
            .setName(ProjectSubscriptionName.of(PROJECT, subscription).toString())
            .setTopic(TopicName.of(PROJECT, topic).toString())
            .setAckDeadlineSeconds(ACK_DEADLINE_SECONDS)
            .setMessageRetentionDuration(Durations.fromDays(7))
            .build());
  }

  /**
   * Both jobs in one pipeline, each as a composite of its own ({@code Ingest/…} and {@code
   * Rollups/…}), rollups taking ingest's valid events within the pipeline. Ingest still republishes
   * them to {@link #VALIDATED_TOPIC} for other subscribers.
   *
   * <p>One pipeline, because the DirectRunner's scheduler loop polls without pause: two pipelines
   * took a core each of a 2-core machine before doing any work. Rollups on ingest's output rather
   * than on the validated topic, because reading the events back cost a Pub/Sub publish, a pull, a
   * decode and a second dedup of every event (about a quarter of the stack's CPU), and one
   * checkpoint then covers both jobs: a restored ingest cannot hand rollups a repeat.
   */
  private static PipelineResult runJobs(PipelineOptions options) {
    options.as(StreamingOptions.class).setStreaming(true);
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply("Ingest", IngestPipeline.jobEmittingEvents(options.as(IngestPipeline.Options.class)))
        .apply("Rollups", RollupsPipeline.jobOnEvents(options.as(RollupsPipeline.Options.class)));
    return pipeline.run();
  }

  /**
   * Runs the jobs on the embedded Flink cluster, submitted as to any Flink cluster, restoring the
   * newest checkpoint under {@code flinkDir} when there is one.
   *
   * <p>Exactly once after a crash rests on four things, each set here: (1) a checkpoint a {@code
   * checkpointInterval} holds every job's state (dedup ids, rollup panes, archive windows) and each
   * source's unacknowledged message ids, and messages are acknowledged only once the checkpoint
   * holding their effects completed; (2) the next start restores the newest completed checkpoint
   * and acknowledges what it names; (3) archive files and interval rows are written only from
   * checkpointed input, with names and row ids made of the pane's own coordinates and a lineage id
   * kept across restores, so a replay overwrites what it wrote before ({@code
   * --checkpointedWrites}); (4) repeats of an event id and redeliveries of an invalid message are
   * dropped by state that is itself checkpointed.
   */
  private static boolean onFlink(
      PipelineOptions options, EmbeddedFlink flink, Path flinkDir, Duration checkpointInterval)
      throws IOException {
    Path checkpoints = flinkDir.resolve("checkpoints");
    Optional<Path> restore = EmbeddedFlink.latestCheckpoint(checkpoints);
    EmbeddedFlink.deleteCheckpointsExcept(checkpoints, restore);
    String lineage =
        EmbeddedFlink.lineage(
            flinkDir.resolve("lineage"), restore.isPresent(), new UuidV7Generator()::nextId);
    options.setRunner(FlinkRunner.class);
    FlinkPipelineOptions flinkOptions = options.as(FlinkPipelineOptions.class);
    flinkOptions.setFlinkMaster(flink.master());
    flinkOptions.setAttachedMode(false);
    flinkOptions.setParallelism(1);
    flinkOptions.setMaxParallelism(MAX_PARALLELISM);
    // Flink's own timer checkpoints at the idle pace; while events flow, the stack's pacer
    // triggers one every checkpointInterval (CheckpointPacer).
    flinkOptions.setCheckpointingInterval(
        Math.max(checkpointInterval.toMillis(), IDLE_CHECKPOINT_INTERVAL.toMillis()));
    flinkOptions.setCheckpointTimeoutMillis(Duration.ofMinutes(2).toMillis());
    flinkOptions.setExternalizedCheckpointsEnabled(true);
    flinkOptions.setRetainExternalizedCheckpointsOnCancellation(true);
    // Bundles end before a checkpoint's barrier passes, so their output travels downstream
    // instead of into the checkpoint: smaller checkpoints, nothing held back.
    flinkOptions.setFinishBundleBeforeCheckpointing(true);
    // Elements pass between chained steps without a defensive copy: no step mutates its input.
    // Object reuse, not Beam's --fasterCopy: that also turns the copy-on-write of state on the heap
    // into no copy, and a checkpoint then serializes a combine accumulator while the task mutates
    // it (ConcurrentModificationException, a failed checkpoint and a restart, seen at 10,000/s).
    flinkOptions.setObjectReuse(true);
    // A bundle ends after 500 ms at most. Every step checks its bundle's age on a timer every half
    // of this, busy or not: at 100 ms those checks alone kept 2.1% of a core busy on an idle stack,
    // 0.3% at 500 ms, for ~0.25 s more freshness (docs/BENCHMARKS.md, "Idle"). Up to 5,000
    // elements: the republish step waits for its publishes only at a bundle's end, and Beam's
    // default of 1,000 ended a bundle after every publish batch.
    flinkOptions.setMaxBundleTimeMills(500L);
    flinkOptions.setMaxBundleSize(5_000L);
    // The source's watermark goes downstream once a second: panes close within a second of their
    // end, well inside the rollups' flush interval, at a fifth of the wake-ups of 200 ms.
    flinkOptions.setAutoWatermarkInterval(1_000L);
    restore.ifPresent(chk -> flinkOptions.setSavepointPath(chk.toUri().toString()));
    // A checkpoint of an older version may hold state of steps this version no longer has (the
    // rollups job's own reader and dedup before it took ingest's events): dropped, not refused.
    flinkOptions.setAllowNonRestoredState(true);
    // The job's classes are already on the cluster's classpath: it runs in this very process.
    options.as(FileStagingOptions.class).setFilesToStage(List.of(flink.jobJar().toString()));
    SingleProcessOptions singleProcess = options.as(SingleProcessOptions.class);
    singleProcess.setDedupIn(SingleProcessOptions.DedupIn.FINGERPRINTS);
    singleProcess.setCheckpointedWrites(true);
    options.as(RollupsPipeline.Options.class).setRowIdSalt(lineage);
    options.as(IngestPipeline.Options.class).setArchiveRunId(lineage);
    return restore.isPresent();
  }

  /**
   * The options of both jobs, on the DirectRunner against the broker, without blocking. The
   * immutability and encodability checks are off: they are test-time checks (the module tests keep
   * them on) that cost about half the DirectRunner's throughput. The jobs pull and publish in
   * batches over gRPC, remember ids in memory and combine series on a few keys: the DirectRunner
   * reads 10 elements per bundle through PubsubIO, gives every id of Beam's {@code Deduplicate} a
   * bundle of its own and scans every key's timers on each step, which together held the stack to
   * about 50 events per second.
   */
  private static PipelineOptions jobOptions(
      LocalConfig config, Broker broker, Path dir, String store) {
    List<String> args = new ArrayList<>();
    args.add("--inputSubscription=" + subscriptionPath(INGEST_SUBSCRIPTION));
    args.add("--validatedTopic=" + topicPath(VALIDATED_TOPIC));
    args.add("--archiveLocation=" + dir.resolve("warehouse"));
    args.add("--archiveWindowMinutes=" + ARCHIVE_WINDOW.toMinutes());
    args.add("--store=" + store);
    args.add("--flushIntervalSeconds=" + config.flushInterval().toSeconds());
    args.add("--seriesShards=" + SERIES_SHARDS);
    if (!config.rollups().isBlank()) {
      args.add("--rollups=" + config.rollups());
    }
    if (config.enrichment().isPresent()) {
      // Entities are looked up in the stack's own database, where `eventflow entities load`
      // writes them through the query service; Redis only when the user runs one.
      LocalConfig.Enrichment enrichment = config.enrichment().get();
      args.add("--enrichBy=" + enrichment.by());
      if (!enrichment.kind().isEmpty()) {
        args.add("--enrichKind=" + enrichment.kind());
      }
      args.add("--entityStore=" + store);
      config.redisUrl().ifPresent(url -> args.add("--enrichRedisUrl=" + url));
    }
    PipelineOptionsFactory.register(IngestPipeline.Options.class);
    PipelineOptionsFactory.register(RollupsPipeline.Options.class);
    PipelineOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create();
    options.setRunner(DirectRunner.class);
    options.setJobName("eventflow-local");
    options.as(PubsubOptions.class).setPubsubRootUrl(broker.restRootUrl());
    // The broker needs no credentials; without this Beam looks for Application Default
    // Credentials on every client it creates and logs a warning each time it finds none.
    options.as(GcpOptions.class).setCredentialFactoryClass(NoopCredentialFactory.class);
    SingleProcessOptions singleProcess = options.as(SingleProcessOptions.class);
    singleProcess.setPubsubTransport(SingleProcessOptions.PubsubTransport.BATCHED_GRPC);
    singleProcess.setDedupIn(SingleProcessOptions.DedupIn.MEMORY);
    DirectOptions direct = options.as(DirectOptions.class);
    direct.setBlockOnRun(false);
    direct.setEnforceImmutability(false);
    direct.setEnforceEncodability(false);
    return options;
  }

  /** Returns the full name of a local topic. */
  public static String topicPath(String topic) {
    return TopicName.of(PROJECT, topic).toString();
  }

  /** Returns the full name of a local subscription. */
  public static String subscriptionPath(String subscription) {
    return ProjectSubscriptionName.of(PROJECT, subscription).toString();
  }

  /** The broker's {@code host:port}, for {@code PUBSUB_EMULATOR_HOST}. */
  public String pubsubHostAndPort() {
    return broker.hostAndPort();
  }

  /**
   * Starts the embedded MQTT broker and the bridge to the events topic, or nothing when the config
   * has no MQTT port.
   */
  private static @Nullable LocalMqttBridge startMqtt(
      LocalConfig config, Broker broker, Path mqttDir)
      throws LocalStackException, IOException, InterruptedException {
    if (config.mqttPort() < 0) {
      return null;
    }
    try {
      return LocalMqttBridge.start(
          config.host(),
          config.mqttPort(),
          mqttDir,
          config.mqttTemplates(),
          broker.hostAndPort(),
          PROJECT,
          EVENTS_TOPIC);
    } catch (IOException e) {
      if (isBindFailure(e)) {
        throw new LocalStackException(
            "the MQTT port " + config.mqttPort() + " is already in use (try --mqtt-port)", e);
      }
      throw e;
    }
  }

  /** Starts the open, loopback-only collector, or nothing when the config has no collector port. */
  private static @Nullable LocalCollector startCollector(LocalConfig config, Broker broker)
      throws LocalStackException, IOException {
    if (config.collectorPort() < 0) {
      return null;
    }
    try {
      return LocalCollector.start(
          config.host(), config.collectorPort(), broker.hostAndPort(), PROJECT, EVENTS_TOPIC);
    } catch (IOException e) {
      if (isBindFailure(e)) {
        throw new LocalStackException(
            "the collector port "
                + config.collectorPort()
                + " is already in use (try --collector-port)",
            e);
      }
      throw e;
    }
  }

  /** The collector's {@code http://host:port}, when it runs. */
  public Optional<String> collectorUrl() {
    return Optional.ofNullable(collector).map(LocalCollector::url);
  }

  /** The embedded MQTT broker's {@code tcp://host:port}, when it runs. */
  public Optional<String> mqttUri() {
    return Optional.ofNullable(mqtt).map(LocalMqttBridge::uri);
  }

  /** The query service's {@code host:port}. */
  public String grpcHostAndPort() {
    return config.host() + ":" + server.port();
  }

  /** The query service's metrics port, or -1 when disabled. */
  public int metricsPort() {
    return config.metricsPort() < 0 ? -1 : server.metricsPort();
  }

  /** Where the archive (valid events) and dead letters (invalid messages) are written. */
  public Path warehouse() {
    return config.dataDir().toAbsolutePath().normalize().resolve("warehouse");
  }

  /**
   * Returns how many messages of a local subscription are not yet acknowledged: published but not
   * delivered, or delivered and not yet acked.
   */
  public long unacknowledged(String subscription) {
    return broker.unacknowledged(subscriptionPath(subscription));
  }

  /**
   * Drains and stops: waits (up to {@code drainTimeout}) until the jobs have been given every
   * message published, then for the last rollup pane and archive window to fire, acknowledges what
   * the jobs processed, and stops the jobs, the query service and the broker.
   *
   * <p>The acknowledgement is the stack's, not the jobs': Beam's DirectRunner acknowledges what a
   * read returned only when a later read returns data, so an idle job never acks its last batch,
   * and a restart would process that batch a second time. Once the jobs had the time to write
   * everything they were given, the stack acks it on their behalf.
   */
  public void close(Duration drainTimeout) {
    close(drainTimeout, message -> logger.info("{}", message));
  }

  /**
   * Drains and stops as {@link #close(Duration)} does, telling {@code progress} what it waits for
   * (the command line prints it: during JVM shutdown, logging is already switched off).
   */
  public void close(Duration drainTimeout, Consumer<String> progress) {
    if (pacer != null) {
      pacer.close();
    }
    if (flink != null) {
      // The sources stop beside the jobs, each on its own thread: the collector finishes its
      // requests in flight and the bridge publishes the messages it took, both into the broker,
      // which stops after them. Each then waits about 2 s for a Netty event loop group's quiet
      // period (Armeria's boss group, HiveMQ's listeners) that holds no data, so one after the
      // other they made a Ctrl-C take over 5 s.
      List<Thread> sources = new ArrayList<>();
      if (collector != null) {
        sources.add(stopAside("collector", collector::close));
      }
      if (mqtt != null) {
        // What devices send from now on waits on the devices (QoS 1 retries).
        sources.add(stopAside("mqtt", mqtt::close));
      }
      // Nothing to drain: what the jobs hold is in their last checkpoint, which the next start
      // restores; what they read since is not acknowledged and is delivered again.
      progress.accept("stopping: the jobs resume from their last checkpoint on the next start");
      stopQuietly(() -> jobs.cancel());
      stopQuietly(server::stop);
      stopQuietly(flink::close);
      for (Thread source : sources) {
        stopQuietly(source::join);
      }
      stopQuietly(broker::close);
      return;
    }
    if (collector != null) {
      // First, like the bridge: requests in flight finish while the broker still runs.
      stopQuietly(collector::close);
    }
    if (mqtt != null) {
      // First: the bridge stops taking messages and publishes those in flight while the broker
      // still runs; what devices send from now on waits on the devices (QoS 1 retries).
      stopQuietly(mqtt::close);
    }
    Instant deadline = Instant.now().plus(drainTimeout);
    try {
      boolean drained = awaitDelivered(INGEST_SUBSCRIPTION, deadline, progress);
      if (drained) {
        // Delivered means inside the jobs, not yet written: rollup panes fire every flush
        // interval and archive windows a window after their first row.
        Instant settled = Instant.now().plus(settleTime());
        progress.accept(
            "waiting "
                + settleTime().toSeconds()
                + " s for the last archive window and rollup panes to be written");
        sleepUntil(earliest(settled, deadline));
        drained = !deadline.isBefore(settled);
      }
      if (!drained && unacknowledged(INGEST_SUBSCRIPTION) == 0) {
        drained = true; // nothing was in flight
      }
      if (drained) {
        int ingested = broker.acknowledgeLeased(subscriptionPath(INGEST_SUBSCRIPTION));
        progress.accept("drained: acknowledged " + ingested + " processed message(s)");
      } else {
        progress.accept(
            "stopping before the jobs drained: unacknowledged messages will be processed again"
                + " on the next start");
      }
    } catch (InterruptedException e) {
      progress.accept("interrupted while draining: stopping now");
      Thread.currentThread().interrupt();
    }
    stopQuietly(() -> jobs.cancel());
    stopQuietly(server::stop);
    stopQuietly(broker::close);
  }

  /** How long the jobs need to write what they were given: an archive window plus a pane. */
  private Duration settleTime() {
    return settleTime(config);
  }

  private static Duration settleTime(LocalConfig config) {
    return ARCHIVE_WINDOW.plus(config.flushInterval()).plusSeconds(10);
  }

  /**
   * How long checkpoints go on at the busy pace after the last unacknowledged message: until the
   * last archive window and rollup pane have fired, plus the two checkpoints that write their
   * output (each write waits for the checkpoint after the element's).
   */
  private static Duration checkpointGrace(LocalConfig config) {
    return settleTime(config).plus(config.checkpointInterval().multipliedBy(2));
  }

  /** Drains for up to five minutes, then stops. */
  @Override
  public void close() {
    close(Duration.ofMinutes(5));
  }

  private boolean awaitDelivered(String subscription, Instant deadline, Consumer<String> progress)
      throws InterruptedException {
    Instant nextReport = Instant.now();
    long left;
    while ((left = broker.undelivered(subscriptionPath(subscription))) > 0) {
      if (!Instant.now().isBefore(deadline)) {
        return false;
      }
      if (jobs.getState() != PipelineResult.State.RUNNING) {
        progress.accept("cannot drain " + subscription + ": the jobs are " + describe(jobs));
        return false;
      }
      if (!Instant.now().isBefore(nextReport)) {
        progress.accept(left + " message(s) of " + subscription + " not yet delivered");
        nextReport = Instant.now().plusSeconds(10);
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    return true;
  }

  /** A job's state, and for a failed job the error it failed with. */
  static String describe(PipelineResult job) {
    PipelineResult.State state = job.getState();
    if (state != PipelineResult.State.FAILED) {
      return state.toString();
    }
    try {
      job.waitUntilFinish(org.joda.time.Duration.millis(1));
      return state.toString();
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null) {
        cause = cause.getCause();
      }
      return state + " (" + cause + ")";
    }
  }

  private static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** The state of the jobs' pipeline (RUNNING until the stack stops, unless it failed). */
  public PipelineResult.State jobsState() {
    return jobs.getState();
  }

  private static void sleepUntil(Instant until) throws InterruptedException {
    long millis = Duration.between(Instant.now(), until).toMillis();
    if (millis > 0) {
      TimeUnit.MILLISECONDS.sleep(millis);
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void stopQuietly(Step step) {
    try {
      step.run();
    } catch (Exception e) {
      logger.warn("while stopping: {}", e.toString());
    }
  }

  /** Runs {@code step} on a thread of its own, named after {@code what}, and returns the thread. */
  private static Thread stopAside(String what, Step step) {
    Thread thread = new Thread(() -> stopQuietly(step), "eventflow-stop-" + what);
    thread.start();
    return thread;
  }

  private static void closeAll(List<AutoCloseable> started) {
    for (int i = started.size() - 1; i >= 0; i--) {
      AutoCloseable c = started.get(i);
      stopQuietly(c::close);
    }
  }
}
