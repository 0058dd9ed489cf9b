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

  /** Series and publish get a root with only themselves: the pipeline commands are not built. */
  @Test
  void quickCommandsBuildOnlyTheirOwnSubcommand() {
    CliContext context = CliContext.system();

    assertThat(EventflowCommand.commandLine(context, "series", "list").getSubcommands().keySet())
        .containsExactly("series");
    assertThat(EventflowCommand.commandLine(context, "publish", "--help").getSubcommands())
        .containsOnlyKeys("publish");
    assertThat(EventflowCommand.commandLine(context, "--version").getSubcommands()).isEmpty();
    assertThat(EventflowCommand.commandLine(context, "local").getSubcommands())
        .containsKeys("local", "publish", "series", "feed", "bench", "help");
    assertThat(EventflowCommand.commandLine(context).getSubcommands())
        .containsKeys("local", "publish", "series", "feed", "bench", "help");
  }

  @Test
  void theQuickRootPrintsTheSameVersion() {
    java.io.StringWriter quick = new java.io.StringWriter();
    java.io.StringWriter full = new java.io.StringWriter();
    CliContext context = CliContext.system();

    picocli.CommandLine quickLine = EventflowCommand.commandLine(context, "--version");
    quickLine.setOut(new java.io.PrintWriter(quick));
    picocli.CommandLine fullLine = EventflowCommand.commandLine(context);
    fullLine.setOut(new java.io.PrintWriter(full));

    assertThat(quickLine.execute("--version")).isZero();
    assertThat(fullLine.execute("--version")).isZero();
    assertThat(quick.toString()).isNotEmpty().isEqualTo(full.toString());
  }
}
