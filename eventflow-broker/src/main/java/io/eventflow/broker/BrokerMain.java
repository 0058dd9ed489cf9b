package io.eventflow.broker;

import io.eventflow.broker.log.FsyncPolicy;
import io.eventflow.broker.log.LogConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * Runs a {@link Broker} until the process is stopped.
 *
 * <pre>
 * java -cp ... io.eventflow.broker.BrokerMain --data-dir ./pubsub-data --port 8085
 * </pre>
 *
 * <p>Prints one line on stdout once ready, naming the value for {@code PUBSUB_EMULATOR_HOST}. A bad
 * flag prints one line on stderr and exits with status 2. Flags are parsed by picocli, as the
 * {@code eventflow} command line's are.
 */
@Command(
    name = "eventflow-broker",
    mixinStandardHelpOptions = true,
    description = "A durable Pub/Sub-compatible broker: gRPC and REST on one port.")
public final class BrokerMain implements Callable<Integer> {
  /** The port Google's emulator uses by default, so existing scripts keep working. */
  static final int DEFAULT_PORT = 8085;

  /** Exactly one of the two storage choices. */
  static final class Storage {
    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        required = true,
        description = "Store topics, logs and subscription state under DIR (durable).")
    Path dataDir;

    @Option(
        names = "--in-memory",
        required = true,
        description = "Keep everything in memory; nothing survives a restart.")
    boolean inMemory;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Storage storage;

  @Option(
      names = "--port",
      paramLabel = "N",
      description = "Port for gRPC and REST (default ${DEFAULT-VALUE}; 0 picks a free one).")
  int port = DEFAULT_PORT;

  @Option(
      names = "--host",
      paramLabel = "ADDR",
      description = "Address to bind (default ${DEFAULT-VALUE}: loopback only).")
  String host = "127.0.0.1";

  @Option(
      names = "--fsync",
      paramLabel = "POLICY",
      description = "always | interval | never (default interval: every second).")
  String fsync = "interval";

  @Option(
      names = "--max-pending-bytes",
      paramLabel = "BYTES",
      description =
          "Bytes a topic's log may hold waiting for the disk before publishes get"
              + " RESOURCE_EXHAUSTED (default ${DEFAULT-VALUE}, 32 MiB).")
  long maxPendingBytes = LogConfig.DEFAULT_MAX_PENDING_BYTES;

  @Option(
      names = "--compaction-ratio",
      paramLabel = "FRACTION",
      description =
          "Compact a sealed log segment once this fraction of its bytes is needed by no"
              + " subscription, snapshot or retention (default ${DEFAULT-VALUE}; above 0, at most"
              + " 1).")
  double compactionRatio = 0.5;

  @Option(
      names = "--compaction-rate",
      paramLabel = "BYTES",
      description = "Bytes per second compaction may copy (default ${DEFAULT-VALUE}, 32 MiB).")
  long compactionRate = BrokerConfig.DEFAULT_COMPACTION_BYTES_PER_SECOND;

  /** Created by picocli; see {@link #main}. */
  BrokerMain() {}

  /** A command line that cannot be run; the message is the one line shown to the user. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** Starts the broker described by {@code args} and serves until the JVM shuts down. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line, reporting a bad flag as one line on stderr and status 2. */
  static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new BrokerMain());
    commandLine.setParameterExceptionHandler(
        (ParameterException e, String[] args) -> {
          PrintWriter err = e.getCommandLine().getErr();
          err.println("eventflow-broker: " + oneLine(e) + " (try --help)");
          err.flush();
          return 2;
        });
    return commandLine;
  }

  /** Serves until the process is stopped; the shutdown hook drains calls, then closes the logs. */
  @Override
  public Integer call() throws IOException, InterruptedException, UsageException {
    Broker broker = Broker.start(config());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    broker.close();
                  } catch (IOException e) {
                    e.printStackTrace(System.err);
                  }
                },
                "eventflow-broker-shutdown"));
    printReady(broker, System.out);
    broker.awaitTermination();
    return 0;
  }

  static void printReady(Broker broker, PrintStream out) {
    out.println(
        "eventflow-broker ready: export PUBSUB_EMULATOR_HOST="
            + broker.hostAndPort()
            + " (REST: --pubsubRootUrl="
            + broker.restRootUrl()
            + ", metrics: "
            + broker.metricsUrl()
            + ")");
    out.flush();
  }

  /** Turns flags into a config, or explains in one line what is wrong with them. */
  static BrokerConfig parse(String... args) throws UsageException {
    BrokerMain main = new BrokerMain();
    try {
      new CommandLine(main).parseArgs(args);
    } catch (ParameterException e) {
      throw new UsageException(oneLine(e));
    }
    return main.config();
  }

  private BrokerConfig config() throws UsageException {
    try {
      BrokerConfig.Builder config =
          BrokerConfig.builder()
              .port(port)
              .host(host)
              .fsync(FsyncPolicy.parse(fsync))
              .maxPendingPublishBytes(maxPendingBytes)
              .compactionMinReclaimRatio(compactionRatio)
              .compactionBytesPerSecond(compactionRate);
      if (storage.dataDir != null) {
        config.dataDir(storage.dataDir);
      }
      return config.build();
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** Picocli's message without the usage that follows it: the first line. */
  private static String oneLine(ParameterException e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
