package io.eventflow.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow series}: reads time series from the query service ({@code
 * eventflow-timeseries-srv}). It does nothing itself; {@code list} and {@code get} do the work.
 */
@Command(
    name = "series",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = "Lists and reads time series from the eventflow query service.",
    subcommands = {
      SeriesListCommand.class,
      SeriesGetCommand.class,
    })
final class SeriesCommand implements Runnable {
  @Spec CommandSpec spec;

  /** Fails with the usage message: {@code series} needs {@code list} or {@code get}. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand: list or get");
  }
}
