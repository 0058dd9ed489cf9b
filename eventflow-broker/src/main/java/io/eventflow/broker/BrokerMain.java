package io.eventflow.broker;

import io.eventflow.broker.log.FsyncPolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Runs a {@link Broker} until the process is stopped.
 *
 * <pre>
 * java -cp ... io.eventflow.broker.BrokerMain --data-dir ./pubsub-data --port 8085
 * </pre>
 *
 * <p>Prints one line on stdout once ready, naming the value for {@code PUBSUB_EMULATOR_HOST}. A bad
 * flag prints one line on stderr and exits with status 2.
 */
public final class BrokerMain {
  /** The port Google's emulator uses by default, so existing scripts keep working. */
  static final int DEFAULT_PORT = 8085;

  static final String USAGE =
      String.join(
          "\n",
          "Usage: eventflow-broker (--data-dir DIR | --in-memory) [options]",
          "  --data-dir DIR     store topics, logs and subscription state under DIR (durable)",
          "  --in-memory        keep everything in memory; nothing survives a restart",
          "  --port N           port for gRPC and REST (default 8085; 0 picks a free one)",
          "  --host ADDR        address to bind (default 127.0.0.1, loopback only)",
          "  --fsync POLICY     always | interval | never (default interval: every second)",
          "  --help             print this help");

  private BrokerMain() {}

  /** A command line that cannot be run; the message is the one line shown to the user. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** Starts the broker described by {@code args} and serves until the JVM shuts down. */
  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length == 1 && args[0].equals("--help")) {
      System.out.println(USAGE);
      return;
    }
    BrokerConfig config;
    try {
      config = parse(args);
    } catch (UsageException e) {
      System.err.println("eventflow-broker: " + e.getMessage() + " (try --help)");
      System.exit(2);
      return;
    }
    Broker broker = Broker.start(config);
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
  }

  static void printReady(Broker broker, PrintStream out) {
    out.println(
        "eventflow-broker ready: export PUBSUB_EMULATOR_HOST="
            + broker.hostAndPort()
            + " (REST: --pubsubRootUrl="
            + broker.restRootUrl()
            + ")");
    out.flush();
  }

  /** Turns flags into a config, or explains in one line what is wrong with them. */
  static BrokerConfig parse(String... args) throws UsageException {
    BrokerConfig.Builder config = BrokerConfig.builder().port(DEFAULT_PORT);
    Path dataDir = null;
    boolean inMemory = false;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      String value = null;
      int eq = flag.indexOf('=');
      if (flag.startsWith("--") && eq > 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      }
      switch (flag) {
        case "--in-memory" -> {
          if (value != null) {
            throw new UsageException("--in-memory takes no value");
          }
          inMemory = true;
        }
        case "--data-dir", "--port", "--host", "--fsync" -> {
          if (value == null) {
            if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
              throw new UsageException(flag + " needs a value");
            }
            value = args[++i];
          }
          apply(config, flag, value);
          if (flag.equals("--data-dir")) {
            dataDir = Path.of(value);
          }
        }
        case "--help" -> throw new UsageException("--help must be the only argument");
        default -> throw new UsageException("unknown option '" + args[i] + "'");
      }
    }
    if (inMemory == (dataDir != null)) {
      throw new UsageException("give exactly one of --data-dir DIR or --in-memory");
    }
    try {
      return config.build();
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private static void apply(BrokerConfig.Builder config, String flag, String value)
      throws UsageException {
    try {
      switch (flag) {
        case "--data-dir" -> config.dataDir(Path.of(value));
        case "--port" -> config.port(Integer.parseInt(value));
        case "--host" -> config.host(value);
        case "--fsync" -> config.fsync(FsyncPolicy.parse(value));
        default -> throw new UsageException("unknown option '" + flag + "'");
      }
    } catch (NumberFormatException e) {
      throw new UsageException(flag + " must be a number, got '" + value + "'");
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }
}
