package io.eventflow.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow events}: questions about the raw events themselves (eventflow-events-query). It
 * does nothing itself; {@code query} does the work.
 */
@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = "Queries the raw events: the local archive or the BigQuery events table.",
    subcommands = {EventsQueryCommand.class})
final class EventsCommand implements Runnable {
  @Spec CommandSpec spec;

  /** Fails with the usage message: {@code events} needs {@code query}. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand: query");
  }
}
