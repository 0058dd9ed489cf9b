package io.eventflow.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow entities}: the metadata ingest's enrichment attaches to events. It does nothing
 * itself; {@code load} and {@code get} do the work.
 */
@Command(
    name = "entities",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description =
        "Loads and reads entities (kind, key, attributes), the metadata enrichment attaches to"
            + " events, through the query service (a running eventflow local) or in Spanner.",
    subcommands = {EntitiesLoadCommand.class, EntitiesGetCommand.class})
final class EntitiesCommand implements Runnable {
  @Spec CommandSpec spec;

  /** Fails with the usage message: {@code entities} needs {@code load} or {@code get}. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand: load or get");
  }
}
