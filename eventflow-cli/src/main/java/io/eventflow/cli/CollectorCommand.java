package io.eventflow.cli;

import io.eventflow.collector.ApiKeys;
import io.eventflow.collector.CollectorConfig;
import io.eventflow.collector.CollectorServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow collector}: runs the collector ({@link CollectorServer}) until Ctrl-C or
 * SIGTERM, which stop it gracefully; {@code eventflow collector hash-key KEY SOURCE} prints a key
 * file line.
 */
@Command(
    name = "collector",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    subcommands = CollectorCommand.HashKey.class,
    description = {
      "Serves the HTTP and gRPC event API (POST /v1/events, /v1/batch, /v1/call/TYPE, gRPC"
          + " eventflow.collector.Collector) on one port, answering only after Pub/Sub stored the"
          + " events, and routes calls to connected processors.",
    })
final class CollectorCommand implements Callable<Integer> {
  private final CliContext context;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "Port of HTTP/1.1, HTTP/2 and gRPC (0 picks one). Default: 8080.")
  int port;

  @Option(
      names = "--host",
      paramLabel = "ADDRESS",
      description =
          "Address to bind. Default: 0.0.0.0 with --api-keys, else 127.0.0.1 (an open collector"
              + " binds only to loopback).")
  String host;

  @Option(
      names = "--api-keys",
      paramLabel = "FILE",
      description =
          "File of SHA-256-hashed API keys and the source each decides (eventflow collector"
              + " hash-key). Default: none, open to anyone on loopback.")
  Path apiKeys;

  @Option(
      names = "--cors-origin",
      paramLabel = "ORIGIN",
      description = "Origin browsers may send from (* for any); repeatable. Default: none.")
  List<String> corsOrigins = new ArrayList<>();

  @Option(
      names = "--rate-per-key",
      paramLabel = "N",
      defaultValue = "1000",
      description = "Requests per second per API key, bursts of one second's worth. Default: 1000.")
  double ratePerKey;

  @Option(
      names = "--events-topic",
      paramLabel = "TOPIC",
      defaultValue = CollectorConfig.DEFAULT_EVENTS_TOPIC,
      description = "Pub/Sub topic of the events. Default: ${DEFAULT-VALUE}.")
  String eventsTopic;

  @Mixin PubSubTargetOptions pubsub;

  @Option(
      names = "--source",
      paramLabel = "SOURCE",
      defaultValue = CollectorConfig.DEFAULT_SOURCE,
      description = "Source of events that name none when no key decides it. Default: collector.")
  String source;

  @Option(
      names = "--accept-timeout",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "How long a request waits for Pub/Sub before 503. Default: 10s.")
  Duration acceptTimeout;

  @Option(
      names = "--call-timeout",
      paramLabel = "DURATION",
      defaultValue = "1s",
      converter = DurationConverter.class,
      description = "Deadline of a processor call that sets none. Default: 1s.")
  Duration callTimeout;

  @Spec CommandSpec spec;

  CollectorCommand(CliContext context) {
    this.context = context;
  }

  /** The collector configuration these flags describe. */
  CollectorConfig config() {
    try {
      if (apiKeys != null && !Files.isReadable(apiKeys)) {
        throw new IllegalArgumentException("--api-keys " + apiKeys + " is not readable");
      }
      CollectorConfig.Builder builder =
          CollectorConfig.builder()
              .host(host != null ? host : apiKeys != null ? "0.0.0.0" : "127.0.0.1")
              .port(port)
              .eventsTopic(eventsTopic)
              .defaultSource(source)
              .ratePerKey(ratePerKey)
              .acceptTimeout(acceptTimeout)
              .callTimeouts(
                  callTimeout,
                  Duration.ofSeconds(30).compareTo(callTimeout) < 0
                      ? callTimeout
                      : Duration.ofSeconds(30));
      if (apiKeys != null) {
        builder.apiKeysFile(apiKeys);
      }
      corsOrigins.forEach(builder::corsOrigin);
      pubsub.project(context).ifPresent(builder::project);
      pubsub.emulatorHost(context).ifPresent(builder::emulatorHost);
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    CollectorConfig config = config();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    CollectorServer server;
    try {
      server = CollectorServer.start(config, context.clock());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    } catch (RuntimeException e) {
      err.println("eventflow collector: cannot start: " + e.getMessage());
      err.flush();
      return EventflowCommand.EXIT_ERROR;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runnable unregister =
        context
            .shutdownHooks()
            .register(
                () -> {
                  err.println("eventflow collector: stopping: finishing in-flight requests");
                  err.flush();
                  server.close();
                  err.println("eventflow collector: stopped");
                  err.flush();
                  stopped.countDown();
                });
    out.println(
        "eventflow collector: "
            + server.url()
            + " -> "
            + config.eventsTopic()
            + (config.open() ? " (open, no API keys)" : ""));
    out.flush();
    try {
      stopped.await();
    } finally {
      unregister.run();
    }
    return 0;
  }

  /** {@code eventflow collector hash-key KEY SOURCE}: prints the key file line for a key. */
  @Command(
      name = "hash-key",
      mixinStandardHelpOptions = true,
      description = "Prints the --api-keys file line for KEY: its SHA-256 and SOURCE.")
  static final class HashKey implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "KEY", description = "The API key (keep it secret).")
    String key;

    @Parameters(index = "1", paramLabel = "SOURCE", description = "The source its events get.")
    String source;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().println(ApiKeys.hash(key) + " " + source);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
