package io.eventflow.timeseries.store.spanner;

import org.testcontainers.gcloud.SpannerEmulatorContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The interval store contract against the Spanner emulator's Docker image, the emulator CI systems
 * with Docker have.
 *
 * <p>Needs a Docker daemon; without one JUnit reports the whole class as skipped (never failed),
 * and {@link SpannerEmulatorProcessTest}, {@link SpannerIntervalStoreTest} and {@link
 * SpannerIntervalWriterTest} still run.
 */
@Testcontainers(disabledWithoutDocker = true)
class SpannerEmulatorContainerTest extends SpannerEmulatorContract {
  /** Pinned so a new emulator release cannot change the result of an old commit's build. */
  private static final DockerImageName IMAGE =
      DockerImageName.parse("gcr.io/cloud-spanner-emulator/emulator:1.5.28");

  @Container
  private static final SpannerEmulatorContainer EMULATOR = new SpannerEmulatorContainer(IMAGE);

  @Override
  protected String emulatorHost() {
    return EMULATOR.getEmulatorGrpcEndpoint();
  }
}
