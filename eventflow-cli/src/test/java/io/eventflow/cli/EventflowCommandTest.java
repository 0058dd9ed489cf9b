package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EventflowCommandTest {
  @Test
  void helpListsTheSubcommandsAndExitCodes() {
    CliRunner.Result result = new CliRunner().run("--help");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out())
        .contains("Usage: eventflow")
        .contains("publish")
        .contains("feed")
        .contains("Exit codes:")
        .contains("3   Some input lines were rejected");
  }

  @Test
  void noSubcommandIsAUsageError() {
    CliRunner.Result result = new CliRunner().run();

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err()).startsWith("Missing subcommand").contains("Usage: eventflow");
  }

  @Test
  void anUnknownSubcommandIsAUsageError() {
    CliRunner.Result result = new CliRunner().run("publsh");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err()).contains("Unmatched argument at index 0: 'publsh'");
  }
}
