package io.eventflow.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.logging.LogManager;

/** The entry point of the {@code eventflow} fat jar. */
public final class Main {
  private Main() {}

  /** Runs the command line and exits with its status: 0 ok, 1 error, 2 bad usage, 3 rejected. */
  public static void main(String[] args) {
    configureLogging();
    System.exit(EventflowCommand.commandLine(CliContext.system(), args).execute(args));
  }

  /**
   * Reads {@code logging.properties} from this jar unless the user chose a configuration with
   * {@code -Djava.util.logging.config.file}: it keeps the embedded Flink cluster's INFO chatter out
   * of the terminal.
   */
  static void configureLogging() {
    if (System.getProperty("java.util.logging.config.file") != null
        || System.getProperty("java.util.logging.config.class") != null) {
      return;
    }
    try (InputStream config = Main.class.getResourceAsStream("logging.properties")) {
      if (config != null) {
        LogManager.getLogManager().readConfiguration(config);
      }
    } catch (IOException e) {
      System.err.println("eventflow: cannot read the logging configuration: " + e);
    }
  }
}
