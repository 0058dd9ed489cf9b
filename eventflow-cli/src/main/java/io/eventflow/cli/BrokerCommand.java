package io.eventflow.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code eventflow broker}: looks at a running eventflow-broker; {@code status} does the work. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = "Looks at a running eventflow-broker.",
    subcommands = {BrokerStatusCommand.class})
final class BrokerCommand implements Runnable {
  @Spec CommandSpec spec;

  /** Fails with the usage message: {@code broker} needs {@code status}. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand: status");
  }
}
