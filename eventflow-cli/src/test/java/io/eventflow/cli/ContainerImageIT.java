package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.publisher.MockPubSubServer;
import io.eventflow.testing.ImageConventions;
import io.eventflow.testing.ImageTarball;
import io.eventflow.testing.ImageTarball.Finished;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command's container image `package` built with Jib (on {@code scratch}, as no registry is
 * reachable here; README, "Container image"): configured as the scheduled feed's Cloud Run job runs
 * it (arguments after the entrypoint), and its layers hold the command, run from the image's own
 * entrypoint and classpath with this machine's java: its version from the packaged jar, its help,
 * and a feed to a Pub/Sub emulator.
 */
class ContainerImageIT {
  private static final Path TARBALL = Path.of("target", "jib-image-offline.tar");

  /** A bound for a hang, not a timing check: each run takes a few seconds. */
  private static final Duration BOUND = Duration.ofSeconds(120);

  @TempDir static Path dir;

  private static ImageTarball image;
  private static Path root;

  /** Unpacks the image once: its layers are ~380 MB of dependencies. */
  @BeforeAll
  static void unpack() throws Exception {
    image = ImageTarball.open(TARBALL);
    root = image.extract(dir.resolve("root"));
  }

  @Test
  void imageIsConfiguredForContainers() {
    ImageConventions.assertOfflineImage(
        image,
        "eventflow-cli",
        Main.class.getName(),
        List.of(
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED"));
  }

  @Test
  void imageRunsTheCommandWithItsVersionAndHelp() throws Exception {
    Finished version = image.run(root, BOUND, "--version");
    assertThat(version.exitCode()).as("stderr: %s", version.err()).isZero();
    assertThat(version.out())
        .isEqualTo("eventflow " + image.labels().get("org.opencontainers.image.version") + "\n");

    Finished help = image.run(root, BOUND, "feed", "--help");
    assertThat(help.exitCode()).as("stderr: %s", help.err()).isZero();
    assertThat(help.out()).contains("--rate", "--count", "--topic");

    Finished bad = image.run(root, BOUND, "feed", "--topic", "t", "--rate", "fast");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).startsWith("Invalid value for option '--rate'");
  }

  @Test
  void imageRunsTheScheduledFeed() throws Exception {
    try (MockPubSubServer pubsub = MockPubSubServer.start()) {
      Finished feed =
          image.run(
              root,
              BOUND,
              "feed",
              "--topic",
              "projects/demo/topics/events",
              "--emulator",
              pubsub.hostAndPort(),
              "--count",
              "20",
              "--rate",
              "200/s",
              "--seed",
              "1");

      assertThat(feed.exitCode()).as("stderr: %s", feed.err()).isZero();
      assertThat(feed.out()).startsWith("published 20 events to projects/demo/topics/events");
      assertThat(pubsub.messages()).hasSize(20);
    }
  }
}
