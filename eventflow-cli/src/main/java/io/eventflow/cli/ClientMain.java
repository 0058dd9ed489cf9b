package io.eventflow.cli;

import java.util.Set;

/**
 * The entry point of {@code eventflow-client.jar}, the client jar: it holds only the commands that
 * start, answer and exit ({@code series}, {@code publish}) and {@code --version}, so they start
 * without opening the fat jar's 120,000-entry directory (docs/BENCHMARKS.md, "CLI start"). The
 * {@code eventflow} launcher runs these from it and everything else from {@code eventflow.jar}.
 */
public final class ClientMain {
  /** What the client jar holds: the first argument of every command line it runs. */
  static final Set<String> COMMANDS = Set.of("series", "publish", "--version", "-V");

  /** Exit status for a command the client jar does not hold: a usage error, as picocli's. */
  private static final int EXIT_USAGE = 2;

  private ClientMain() {}

  /**
   * Runs a client command and exits with its status; any other command fails with one line naming
   * the jar that holds it, and exit code 2.
   */
  public static void main(String[] args) {
    String first = args.length == 0 ? "" : args[0];
    if (!COMMANDS.contains(first)) {
      System.err.println(notHere(first));
      System.exit(EXIT_USAGE);
    }
    Main.configureLogging();
    // For these first arguments the root carries only the command asked for: nothing reaches the
    // classes of the pipeline commands, which this jar does not hold.
    System.exit(EventflowCommand.commandLine(CliContext.system(), args).execute(args));
  }

  /** The one-line error for a command line the client jar cannot run. */
  static String notHere(String first) {
    return "eventflow: "
        + (first.isEmpty() ? "a command is missing: " : "'" + first + "' is not in ")
        + "the client jar (eventflow-client.jar), which runs only series, publish and --version;"
        + " run eventflow.jar, or ./eventflow, which picks the jar";
  }
}
