package io.eventflow.cli;

/** The entry point of the {@code eventflow} fat jar. */
public final class Main {
  private Main() {}

  /** Runs the command line and exits with its status: 0 ok, 1 error, 2 bad usage, 3 rejected. */
  public static void main(String[] args) {
    System.exit(EventflowCommand.commandLine(CliContext.system()).execute(args));
  }
}
