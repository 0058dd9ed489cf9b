package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.testing.Await;
import io.eventflow.testing.FreePort;
import io.eventflow.testing.HttpProbe;
import io.eventflow.testing.ImageConventions;
import io.eventflow.testing.ImageTarball;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image `package` built with Jib (on {@code scratch}, as no registry is reachable
 * here; README, "Container"): its configuration is what Cloud Run and Kubernetes need, and its
 * layers hold a server that starts from the image's own entrypoint and classpath (run with this
 * machine's java), answers its gRPC health check and metrics, and stops on SIGTERM.
 */
class ContainerImageIT {
  private static final Path TARBALL = Path.of("target", "jib-image-offline.tar");

  @TempDir Path dir;

  @Test
  void imageIsConfiguredForContainers() throws Exception {
    ImageConventions.assertOfflineImage(
        ImageTarball.open(TARBALL),
        "eventflow-timeseries-srv",
        TimeSeriesServer.class.getName(),
        List.of(),
        "9090/tcp",
        "9464/tcp");
  }

  @Test
  void imageStartsTheServerWhichAnswersHealthAndMetricsAndStopsOnSigterm() throws Exception {
    ImageTarball image = ImageTarball.open(TARBALL);
    Path root = image.extract(dir.resolve("root"));
    int grpcPort = FreePort.loopback();
    int metricsPort = FreePort.loopback();
    Path log = dir.resolve("server.log");
    ProcessBuilder builder =
        image.processBuilder(root).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("EVENTFLOW_STORE", "jdbc:h2:file:" + dir.resolve("intervals"));
    builder.environment().put("EVENTFLOW_GRPC_PORT", Integer.toString(grpcPort));
    builder.environment().put("EVENTFLOW_METRICS_PORT", Integer.toString(metricsPort));
    builder.environment().put("EVENTFLOW_METRICS_HOST", "127.0.0.1");
    Process server = builder.start();
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    try {
      Await.until(
          "the image's server answers its gRPC health check with SERVING (log: " + log + ")",
          () -> serving(channel));
      assertThat(HttpProbe.get(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).body())
          .contains("eventflow_timeseries_rows_read_total");

      server.destroy(); // SIGTERM, as Cloud Run and Kubernetes stop a container
      assertThat(server.waitFor(30, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
    } finally {
      channel.shutdownNow();
      server.destroyForcibly();
    }
  }

  private static boolean serving(ManagedChannel channel) {
    try {
      return HealthGrpc.newBlockingStub(channel)
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance())
              .getStatus()
          == ServingStatus.SERVING;
    } catch (StatusRuntimeException notYet) {
      return false;
    }
  }
}
