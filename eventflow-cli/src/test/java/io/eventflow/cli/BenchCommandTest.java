package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code eventflow bench} runs the real local stack and reports what it measured. */
class BenchCommandTest {
  @TempDir Path dir;

  /**
   * A small run on each engine: every event published is counted by a query, and the report gives
   * the start time, the idle CPU, the rate, the freshness percentiles and the stop time. The
   * figures themselves are not asserted (benchmarks are not tests).
   *
   * <p>Longer than the build's 5-minute default: the run may wait {@code --timeout 3m} for the
   * events to become queryable, after a stack start in a child JVM (10 s on a quiet machine, a
   * minute or more on a loaded one) and before its stop.
   */
  @ParameterizedTest
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  @ValueSource(strings = {"flink", "direct"})
  void reportsEveryEventQueryableWithFreshness(String runner) throws Exception {
    Path data = dir.resolve(runner);
    CliRunner.Result result =
        new CliRunner()
            .run(
                "bench",
                "--runner",
                runner,
                "--events",
                "3000",
                "--rate",
                "1000/s",
                "--flush-interval",
                "1s",
                "--idle",
                "1s",
                "--timeout",
                "3m",
                "--data-dir",
                data.toString());

    assertThat(result.exitCode()).as(result.err()).isZero();
    List<String> lines = result.out().lines().toList();
    assertThat(lines.get(0)).startsWith("local stack on " + runner + " started in ");
    assertThat(lines.get(1)).matches("idle: [0-9.]+% of one core over 1 s with no traffic");
    assertThat(lines.get(2)).startsWith("published 3,000 events in ").endsWith(", 0 failed");
    assertThat(lines.get(3))
        .startsWith("queryable: all 3,000 after ")
        .contains("events/s published to queryable");
    assertThat(lines.get(4))
        .matches(
            "freshness \\(published to counted by a query, polled every 250 ms\\): p50 [0-9.]+ s,"
                + " p99 [0-9.]+ s, max [0-9.]+ s \\(flush interval PT1S\\)");
    assertThat(lines.get(5))
        .matches(
            "cpu: [0-9.]+ s from the first publish until the last count \\([0-9.]+ ms per event:"
                + " publisher, broker, jobs and queries together\\)");
    assertThat(lines.get(lines.size() - 1)).matches("stopped in [0-9.]+ s");
    // The stack ran on the given directory, which is kept.
    assertThat(Files.exists(data.resolve("intervals"))).isTrue();
  }

  @Test
  void badFlagsAreUsageErrors() {
    CliRunner.Result noEvents = new CliRunner().run("bench", "--events", "0");
    assertThat(noEvents.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(noEvents.err()).contains("--events must be at least 1");

    CliRunner.Result badRate = new CliRunner().run("bench", "--rate", "fast");
    assertThat(badRate.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(badRate.err()).contains("expected events per second like 500/s");
  }
}
