package io.eventflow.broker;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.testcontainers.gcloud.PubSubEmulatorContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The official-client checks of {@link PubSubCompatibilityChecks} against Google's Pub/Sub emulator
 * in Docker, so that where our broker and Google's implementation disagree, one of the two runs
 * fails.
 *
 * <p>Needs a Docker daemon; without one JUnit reports the class as skipped (never failed), and
 * {@link OfficialClientTest} still runs the same checks against the broker.
 */
@Testcontainers(disabledWithoutDocker = true)
class PubSubEmulatorContainerTest extends PubSubCompatibilityChecks {
  /** Pinned so a new gcloud release cannot change the result of an old commit's build. */
  private static final DockerImageName IMAGE =
      DockerImageName.parse("gcr.io/google.com/cloudsdktool/google-cloud-cli:546.0.0-emulators");

  /**
   * One emulator for the class: starting it takes seconds, and every check uses its own topic and
   * subscription names, so the checks cannot see each other's messages.
   */
  @Container
  private static final PubSubEmulatorContainer EMULATOR = new PubSubEmulatorContainer(IMAGE);

  private BrokerFixture pubsub;

  @BeforeEach
  void connect() throws Exception {
    pubsub = BrokerFixture.connect(EMULATOR.getEmulatorEndpoint());
  }

  @AfterEach
  void disconnect() throws Exception {
    pubsub.close();
  }

  @Override
  BrokerFixture pubsub() {
    return pubsub;
  }
}
