package io.eventflow.cli;

import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.RateLimiter;
import io.eventflow.local.LocalConfig;
import io.eventflow.local.LocalRunner;
import io.eventflow.local.LocalStack;
import io.eventflow.local.LocalStackException;
import io.eventflow.mqtt.BridgeConfig;
import io.eventflow.publisher.EventPublisher;
import io.eventflow.timeseries.srv.ServerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow local}: the whole pipeline on this machine on the embedded default (see {@link
 * LocalStack}), until Ctrl-C or SIGTERM, which stop it; the next start continues where it stopped.
 */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Runs the whole pipeline on this machine: the eventflow broker (Pub/Sub), the ingest and"
          + " rollups jobs on an embedded Flink cluster (Beam's FlinkRunner), archive files"
          + " instead of BigQuery, an embedded database instead of Spanner, and the query service.",
      "Ctrl-C stops within seconds; running it again on the same data directory continues from"
          + " the jobs' last checkpoint, also after a crash or kill -9: nothing is lost or counted"
          + " twice."
    })
final class LocalCommand implements Callable<Integer> {
  /** The rollups the demo feed's events make interesting, used with --demo and no --rollups. */
  static final String DEMO_ROLLUPS =
      "purchase:sum:amount_cents,purchase:max:amount_cents,page_view:max:load_time,"
          + "api_request:max:latency,add_to_cart:sum:quantity";

  private static final Logger logger = LoggerFactory.getLogger(LocalCommand.class);

  /** How long a stop waits for the jobs to write what they hold before giving up. */
  private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);

  private final CliContext context;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      defaultValue = ".eventflow",
      description =
          "Where the broker log, the interval database and the warehouse live. Default:"
              + " ./.eventflow.")
  Path dataDir;

  @Option(
      names = "--pubsub-port",
      paramLabel = "PORT",
      defaultValue = "8085",
      description = "Port of the Pub/Sub-compatible broker (gRPC and REST). Default: 8085.")
  int pubsubPort;

  @Option(
      names = "--grpc-port",
      paramLabel = "PORT",
      defaultValue = "9090",
      description = "Port of the query service. Default: 9090.")
  int grpcPort;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      defaultValue = "-1",
      description =
          "Port of the query service's Prometheus metrics; -1 turns them off. Default: -1.")
  int metricsPort;

  @Option(
      names = "--mqtt-port",
      paramLabel = "PORT",
      defaultValue = "1883",
      description =
          "Port of the embedded MQTT broker (MQTT 3.1.1 and 5), whose messages the bridge turns into"
              + " events; -1 runs none. Default: 1883.")
  int mqttPort;

  @Option(
      names = "--mqtt-template",
      paramLabel = "TEMPLATE",
      description =
          "MQTT topic template, repeatable, e.g. plant/{site}/{source}/{type}. Default:"
              + " devices/{customer}/{source}/{type} (raw payloads) and eventflow/events (ready"
              + " events).")
  List<String> mqttTemplates = new ArrayList<>();

  @Option(
      names = "--collector-port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description =
          "Port of the collector (HTTP, gRPC, /eventflow.js; open, on loopback); -1 runs none."
              + " Default: 8080.")
  int collectorPort;

  @Option(
      names = "--rollups",
      paramLabel = "SPEC",
      description =
          "Custom rollups, type:func:attribute,... with func sum, min or max. Default: none (counts"
              + " only); with --demo, rollups of the demo's purchase, page_view, api_request and"
              + " add_to_cart attributes.")
  String rollups;

  @Option(
      names = "--flush-interval",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "How often rollups write partial aggregates, e.g. 5s. Default: 2s.")
  Duration flushInterval;

  @Option(
      names = "--runner",
      paramLabel = "RUNNER",
      defaultValue = "flink",
      converter = RunnerConverter.class,
      description =
          "The engine of the jobs: flink (embedded Flink, checkpointed, exact after a crash) or"
              + " direct (Beam's DirectRunner, in memory, drains on stop). Default: flink.")
  LocalRunner runner;

  @Option(
      names = "--checkpoint-interval",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description =
          "How often Flink checkpoints the jobs while events flow (once a minute when idle);"
              + " archive files and rollups are written once the checkpoint holding them"
              + " completed. Default: 2s.")
  Duration checkpointInterval;

  @Option(
      names = "--redis-url",
      paramLabel = "URL",
      description =
          "Redis as the query cache's second level, e.g. redis://localhost:6379. Default:"
              + " in-process cache only.")
  String redisUrl; // parsed in call(), so that an error never echoes its password

  @Option(
      names = "--enrich",
      paramLabel = "BY",
      description =
          "Enrich every event with what the entities table knows about its customer, source or"
              + " attribute: customer, source or attribute:NAME (the ingest job's --enrichBy)."
              + " Load entities with eventflow entities load. Redis is a cache level only with"
              + " --redis-url. Default: no enrichment.")
  String enrich;

  @Option(
      names = "--enrich-kind",
      paramLabel = "KIND",
      defaultValue = "",
      description =
          "The entity kind --enrich looks up (the ingest job's --enrichKind). Default: customer"
              + " or source, as --enrich says; required with attribute:NAME.")
  String enrichKind;

  @Option(
      names = "--demo",
      paramLabel = "EVENTS_PER_SECOND",
      arity = "0..1",
      fallbackValue = "50",
      description = "Publish a synthetic feed into the events topic (50 events/s without a value).")
  Double demoRate;

  @Spec CommandSpec spec;

  LocalCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    if (demoRate != null && !(demoRate > 0)) {
      throw new ParameterException(spec.commandLine(), "--demo must be a positive rate");
    }
    LocalConfig config;
    try {
      config =
          LocalConfig.defaults()
              .withDataDir(dataDir)
              .withPorts(pubsubPort, grpcPort, metricsPort)
              .withRollups(rollups != null ? rollups : demoRate != null ? DEMO_ROLLUPS : "")
              .withFlushInterval(flushInterval)
              .withRunner(runner)
              .withCheckpointInterval(checkpointInterval)
              .withMqtt(
                  mqttPort,
                  mqttTemplates.isEmpty() ? BridgeConfig.DEFAULT_TEMPLATES : mqttTemplates)
              .withCollector(collectorPort);
      if (enrich != null) {
        config = config.withEnrichment(new LocalConfig.Enrichment(enrich, enrichKind));
      } else if (!enrichKind.isEmpty()) {
        throw new IllegalArgumentException("--enrich-kind needs --enrich");
      }
      java.net.URI redis = ServerConfig.redisUrl("--redis-url", redisUrl);
      if (redis != null) {
        config = config.withRedis(redis);
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }

    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LocalStack stack;
    try {
      stack = LocalStack.start(config);
    } catch (LocalStackException e) {
      err.println("eventflow local: " + e.getMessage());
      err.flush();
      return EventflowCommand.EXIT_ERROR;
    }

    CountDownLatch stopped = new CountDownLatch(1);
    DemoFeed demo = demoRate == null ? null : new DemoFeed(stack.pubsubHostAndPort(), demoRate);
    Runnable unregister =
        context
            .shutdownHooks()
            .register(
                () -> {
                  if (runner == LocalRunner.DIRECT) {
                    err.println(
                        "eventflow local: draining: pending rollups and archive files are written"
                            + " (about a minute; kill -9 stops at once, and unacknowledged events"
                            + " are redelivered on the next start)");
                    err.flush();
                  }
                  if (demo != null) {
                    demo.stop();
                  }
                  stack.close(
                      DRAIN_TIMEOUT,
                      message -> {
                        err.println("eventflow local: " + message);
                        err.flush();
                      });
                  err.println("eventflow local: stopped");
                  err.flush();
                  stopped.countDown();
                });
    printReady(out, config, stack);
    if (demo != null) {
      demo.start();
    }
    try {
      stopped.await();
    } finally {
      unregister.run();
    }
    return 0;
  }

  private static void printReady(PrintWriter out, LocalConfig config, LocalStack stack) {
    String pubsub = stack.pubsubHostAndPort();
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    String tomorrow = LocalDate.now(ZoneOffset.UTC).plusDays(1).toString();
    out.println("eventflow local is running (data in " + config.dataDir().toAbsolutePath() + ")");
    out.println("  Pub/Sub (gRPC and REST)  " + pubsub + "   project " + LocalStack.PROJECT);
    out.println("  query service (gRPC)     " + stack.grpcHostAndPort());
    if (stack.metricsPort() >= 0) {
      out.println("  metrics (Prometheus)     http://" + config.host() + ":" + stack.metricsPort());
    }
    out.println("  warehouse                " + stack.warehouse());
    out.println("Publish events (newline-delimited JSON):");
    out.println(
        "  PUBSUB_EMULATOR_HOST="
            + pubsub
            + " ./eventflow publish --project "
            + LocalStack.PROJECT
            + " --topic "
            + LocalStack.EVENTS_TOPIC
            + " < events.jsonl");
    if (stack.mqttUri().isPresent()) {
      out.println(
          "Publish device readings over MQTT (QoS 1; dead letters in topic mqtt-dead-letters):");
      out.println(
          "  mosquitto_pub -h "
              + config.host()
              + " -p "
              + java.net.URI.create(stack.mqttUri().get()).getPort()
              + " -q 1 -t devices/acme/sensor-1/reading -m '{\"temp\":21.5}'");
    }
    if (stack.collectorUrl().isPresent()) {
      out.println(
          "Send events over HTTP (or gRPC, or from a page with <script src=.../eventflow.js>):");
      out.println(
          "  curl "
              + stack.collectorUrl().get()
              + "/v1/events -H 'Content-Type: application/json' -d"
              + " '{\"type\":\"purchase\",\"attributes\":{\"amount_cents\":{\"intValue\":\"1999\"}}}'");
    }
    out.println("Query a series:");
    out.println(
        "  ./eventflow series get purchase.count --server "
            + stack.grpcHostAndPort()
            + " --start "
            + today
            + " --end "
            + tomorrow
            + " --tz UTC --granularity hour");
    out.println("  ./eventflow series list --server " + stack.grpcHostAndPort());
    out.println("Load entities for enrichment (--enrich):");
    out.println(
        "  ./eventflow entities load --server "
            + stack.grpcHostAndPort()
            + " --file entities.jsonl");
    out.println("Stop with Ctrl-C.");
    out.flush();
  }

  /** Publishes synthetic events into the local events topic at a steady rate. */
  private static final class DemoFeed {
    private final String pubsub;
    private final double rate;
    private final Thread thread;
    private volatile boolean running = true;
    private final AtomicLong failed = new AtomicLong();

    DemoFeed(String pubsub, double rate) {
      this.pubsub = pubsub;
      this.rate = rate;
      this.thread = new Thread(this::run, "eventflow-demo-feed");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void stop() {
      running = false;
      try {
        thread.join(TimeUnit.SECONDS.toMillis(15));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void run() {
      SyntheticEvents events =
          new SyntheticEvents(new Random(), Arrays.asList(SyntheticEvents.Type.values()), 100);
      try (EventPublisher publisher =
          EventPublisher.newBuilder(LocalStack.EVENTS_TOPIC)
              .project(LocalStack.PROJECT)
              .emulatorHost(pubsub)
              .defaultSource("eventflow-demo")
              .build()) {
        RateLimiter limiter = RateLimiter.create(rate);
        while (running) {
          limiter.acquire();
          ApiFutures.addCallback(
              publisher.publish(events.next()),
              new ApiFutureCallback<String>() {
                @Override
                public void onSuccess(String id) {}

                @Override
                public void onFailure(Throwable t) {
                  // One line per failure would flood the terminal: count, report the first.
                  if (failed.getAndIncrement() == 0) {
                    logger.warn("the demo feed could not publish: {}", Errors.describe(t));
                  }
                }
              },
              MoreExecutors.directExecutor());
        }
        publisher.flush();
      } catch (Exception e) {
        logger.warn("the demo feed stopped: {}", Errors.describe(e));
      }
      if (failed.get() > 0) {
        logger.warn("the demo feed failed to publish {} event(s)", failed.get());
      }
    }
  }
}
