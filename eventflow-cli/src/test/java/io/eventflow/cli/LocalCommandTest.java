package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees when {@code eventflow local} cannot start: one line and a non-zero exit. (The
 * running stack itself is tested end to end in eventflow-local's LocalStackTest.)
 */
class LocalCommandTest {
  @TempDir Path dir;

  @Test
  void aPortInUseIsOneLineAndExitCodeOne() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      CliRunner.Result result =
          new CliRunner()
              .run(
                  "local",
                  "--data-dir",
                  dir.toString(),
                  "--pubsub-port",
                  Integer.toString(taken.getLocalPort()),
                  "--grpc-port",
                  "0");
      assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
      assertThat(result.err())
          .isEqualTo(
              "eventflow local: the Pub/Sub port "
                  + taken.getLocalPort()
                  + " is already in use (try --pubsub-port)"
                  + System.lineSeparator());
      assertThat(result.out()).isEmpty();
    }
  }

  @Test
  void anUnwritableDataDirectoryIsOneLineAndExitCodeOne() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "not a directory");
    CliRunner.Result result =
        new CliRunner().run("local", "--data-dir", file.toString(), "--pubsub-port", "0");
    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(result.err())
        .startsWith("eventflow local: cannot write to the data directory " + file);
    assertThat(result.err().lines()).hasSize(1);
  }

  @Test
  void badFlagsAreUsageErrors() {
    CliRunner.Result zeroFlush = new CliRunner().run("local", "--flush-interval", "0s");
    assertThat(zeroFlush.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(zeroFlush.err()).contains("duration must be positive");

    CliRunner.Result badPort = new CliRunner().run("local", "--grpc-port", "70000");
    assertThat(badPort.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(badPort.err()).contains("gRPC port must be 0-65535, got 70000");

    CliRunner.Result badDemo = new CliRunner().run("local", "--demo=-5");
    assertThat(badDemo.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(badDemo.err()).contains("--demo must be a positive rate");

    CliRunner.Result kindAlone = new CliRunner().run("local", "--enrich-kind", "customer");
    assertThat(kindAlone.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(kindAlone.err()).startsWith("--enrich-kind needs --enrich");
  }

  @Test
  void aBadEnrichValueIsTheIngestJobsOneLineAndExitCodeOne() {
    CliRunner.Result result =
        new CliRunner()
            .run(
                "local",
                "--data-dir",
                dir.toString(),
                "--pubsub-port",
                "0",
                "--grpc-port",
                "0",
                "--mqtt-port",
                "-1",
                "--collector-port",
                "-1",
                "--enrich",
                "plan");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(result.err())
        .isEqualTo(
            "eventflow local: invalid ingest options: --enrichBy must be customer, source or"
                + " attribute:NAME, got 'plan'"
                + System.lineSeparator());
  }

  @Test
  void aBadRedisUrlIsAUsageErrorThatHidesItsPassword() {
    // Before, picocli echoed the text it could not convert, password and all.
    for (String url : new String[] {"redis://u:s3cret@h:63 79", "http://u:s3cret@h:6379"}) {
      CliRunner.Result result = new CliRunner().run("local", "--redis-url", url);
      assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
      assertThat(result.err())
          .contains("--redis-url: \"" + url.replace("u:s3cret@", "***@") + "\"")
          .doesNotContain("s3cret");
    }
  }
}
