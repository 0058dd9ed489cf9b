package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.testing.FreePort;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the shaded {@code target/eventflow-timeseries-srv.jar} in its own JVM exactly as the
 * container image does ({@code java -jar}, configured by environment variables alone), on the
 * embedded store: it must answer the gRPC health check with SERVING and stop cleanly on SIGTERM.
 */
class ServerJarIT {
  private static final Path JAR = Path.of("target", "eventflow-timeseries-srv.jar");

  @TempDir Path dir;

  @Test
  void runnableJarServesHealthFromEnvironmentConfigurationAndStopsOnSigterm() throws Exception {
    assertThat(JAR).exists();
    int port = FreePort.loopback();
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar",
                    JAR.toString()))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile());
    builder.environment().put("EVENTFLOW_STORE", "jdbc:h2:file:" + dir.resolve("intervals"));
    builder.environment().put("EVENTFLOW_GRPC_PORT", Integer.toString(port));
    builder.environment().put("EVENTFLOW_METRICS_PORT", "none");
    Process server = builder.start();
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      assertThat(awaitServing(channel, Duration.ofSeconds(60)))
          .as("health of the jar's server (log: %s)", log())
          .isEqualTo(ServingStatus.SERVING);
      server.destroy(); // SIGTERM, as Cloud Run and Kubernetes stop a container
      assertThat(server.waitFor(30, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
      assertThat(log()).contains("serving on port " + port);
    } finally {
      channel.shutdownNow();
      server.destroyForcibly();
    }
  }

  @Test
  void aBadSettingStopsTheJarWithOneLineThatHidesThePassword() throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar",
                    JAR.toString()))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile());
    builder.environment().put("EVENTFLOW_STORE", "jdbc:h2:file:" + dir.resolve("intervals"));
    builder.environment().put("EVENTFLOW_GRPC_PORT", "0");
    builder.environment().put("EVENTFLOW_METRICS_PORT", "none");
    builder.environment().put("EVENTFLOW_REDIS_URL", "rediss://default:s3cret@127.0.0.1:6378");
    builder.environment().put("EVENTFLOW_REDIS_CA_CERT", "not a certificate");
    Process server = builder.start();
    try {
      assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("exited (log: %s)", log()).isTrue();
      assertThat(server.exitValue()).isEqualTo(2);
      assertThat(log())
          .startsWith("eventflow-timeseries-srv: EVENTFLOW_REDIS_CA_CERT: not PEM X.509")
          .doesNotContain("s3cret")
          .doesNotContain("\tat ");
    } finally {
      server.destroyForcibly();
    }
  }

  private static ServingStatus awaitServing(ManagedChannel channel, Duration wait)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(wait);
    while (Instant.now().isBefore(deadline)) {
      try {
        return HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance())
            .getStatus();
      } catch (StatusRuntimeException notYet) {
        TimeUnit.MILLISECONDS.sleep(200);
      }
    }
    return ServingStatus.UNKNOWN;
  }

  private String log() throws Exception {
    File file = dir.resolve("server.log").toFile();
    return file.exists() ? Files.readString(file.toPath()) : "";
  }
}
