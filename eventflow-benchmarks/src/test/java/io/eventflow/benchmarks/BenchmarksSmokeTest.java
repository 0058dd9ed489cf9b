package io.eventflow.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.testing.RedisServerProcess;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark once, for a few milliseconds, in this JVM: keeps them compiling and working.
 * It measures nothing; the figures come from {@code java -jar target/benchmarks.jar}.
 */
class BenchmarksSmokeTest {
  @Test
  void everyBenchmarkRuns() throws Exception {
    OptionsBuilder builder = new OptionsBuilder();
    if (RedisServerProcess.binary().isEmpty()) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new IllegalStateException(
            "redis-server is not installed, and CI=true: .ci/run should have installed it");
      }
      // Its state refuses to start without a real Redis; the other levels still run.
      builder.exclude("QueryServiceBenchmark\\.levelRedisHit");
    }
    Options options =
        builder
            .include("io\\.eventflow\\.benchmarks\\..*")
            // Two days of interval rows instead of a month: the store benchmarks' setup stays fast.
            .param("days", "2")
            .forks(0)
            .warmupIterations(0)
            .measurementIterations(1)
            .measurementTime(TimeValue.milliseconds(50))
            .shouldFailOnError(true)
            .build();
    Collection<RunResult> results = new Runner(options).run();
    assertThat(results).isNotEmpty();
    for (RunResult result : results) {
      assertThat(result.getPrimaryResult().getScore())
          .as(result.getParams().getBenchmark())
          .isPositive();
    }
  }
}
