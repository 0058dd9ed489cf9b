package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.timeseries.srv.ServerFixture;
import io.eventflow.timeseries.store.AggregateFunction;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Runs the client jar, {@code target/eventflow-client.jar}, in its own JVM as {@code ./eventflow}
 * does for {@code series}, {@code publish} and {@code --version}: its commands work against real
 * servers with only the artifacts the jar holds ({@code publish} is in {@link FatJarIT}), print
 * what the fat jar prints, and any other command is a usage error naming the jar that holds it.
 */
class ClientJarIT {
  private static final Path CLIENT = Path.of("target", "eventflow-client.jar");
  private static final Path FAT = Path.of("target", "eventflow.jar");

  @Test
  void seriesGetAndListAnswerFromARealQueryServer() throws Exception {
    try (ServerFixture server =
        ServerFixture.startOnLoopback(Instant.parse("2026-12-01T00:00:00Z"))) {
      server.record("purchase.amount.sum", AggregateFunction.SUM, "2026-11-20T10:00:00Z", 10, 1);
      server.record("purchase.amount.sum", AggregateFunction.SUM, "2026-11-20T10:07:00Z", 5, 1);

      JarRunner.Run get =
          JarRunner.java(
              CLIENT,
              "",
              "series",
              "get",
              "purchase.amount.sum",
              "--server",
              server.target(),
              "--start",
              "2026-11-20T10:00:00Z",
              "--end",
              "2026-11-20T10:10:00Z",
              "--step",
              "5m",
              "--format",
              "csv");
      JarRunner.Run list =
          JarRunner.java(CLIENT, "", "series", "list", "--server", server.target());

      assertThat(get.exitCode()).as("exit code; stderr: %s", get.err()).isZero();
      assertThat(get.out())
          .isEqualTo(
              """
              start,value
              2026-11-20T10:00:00Z,10
              2026-11-20T10:05:00Z,5
              """);
      assertThat(list.exitCode()).as("exit code; stderr: %s", list.err()).isZero();
      assertThat(list.out()).isEqualTo("purchase.amount.sum  sum\n");
    }
  }

  @Test
  void versionAndHelpPrintWhatTheFatJarPrints() throws Exception {
    for (String[] args :
        new String[][] {
          {"--version"},
          {"series", "get", "--help"},
          {"series", "list", "--help"},
          {"publish", "-h"}
        }) {
      JarRunner.Run client = JarRunner.java(CLIENT, "", args);
      JarRunner.Run fat = JarRunner.java(FAT, "", args);

      assertThat(client).as(String.join(" ", args)).isEqualTo(fat);
      assertThat(client.exitCode()).as(String.join(" ", args)).isZero();
    }
  }

  @Test
  void aCommandTheJarDoesNotHoldIsAUsageErrorNamingTheFatJar() throws Exception {
    JarRunner.Run local = JarRunner.java(CLIENT, "", "local");
    JarRunner.Run none = JarRunner.java(CLIENT, "");

    assertThat(local.exitCode()).isEqualTo(2);
    assertThat(local.out()).isEmpty();
    assertThat(local.err())
        .isEqualTo(
            "eventflow: 'local' is not in the client jar (eventflow-client.jar), which runs only"
                + " series, publish and --version; run eventflow.jar, or ./eventflow, which picks"
                + " the jar\n");
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).startsWith("eventflow: a command is missing: the client jar");
  }
}
