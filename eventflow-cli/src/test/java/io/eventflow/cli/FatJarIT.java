package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.publisher.MockPubSubServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the shaded {@code target/eventflow.jar} in its own JVM, as a user would: it catches what
 * in-process tests cannot, such as gRPC's META-INF/services registrations lost in shading.
 */
class FatJarIT {
  private static final Path JAR = Path.of("target", "eventflow.jar");

  private static JarRunner.Run java(String stdin, String... args) throws Exception {
    return JarRunner.java(JAR, stdin, args);
  }

  /** Both jars publish: the fat one and the client jar ./eventflow runs publish from. */
  @ParameterizedTest
  @ValueSource(strings = {"eventflow.jar", "eventflow-client.jar"})
  void theJarPublishesToAnEmulator(String name) throws Exception {
    Path jar = Path.of("target", name);
    assertThat(Files.isRegularFile(jar)).as("%s exists", jar).isTrue();
    try (MockPubSubServer pubsub = MockPubSubServer.start()) {
      JarRunner.Run run =
          JarRunner.java(
              jar,
              "{\"type\":\"purchase\",\"source\":\"shop\",\"attributes\":{\"items\":{\"intValue\":\"2\"}}}\n",
              "publish",
              "--topic",
              "projects/demo/topics/events",
              "--emulator",
              pubsub.hostAndPort());

      assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isZero();
      assertThat(run.out()).isEqualTo("published 1 event to projects/demo/topics/events\n");
      assertThat(pubsub.messages())
          .singleElement()
          .satisfies(m -> assertThat(m.getAttributesMap()).containsEntry("event.type", "purchase"));
    }
  }

  @Test
  void theJarReportsItsVersionAndBadFlags() throws Exception {
    JarRunner.Run version = java("", "--version");
    assertThat(version.exitCode()).isZero();
    assertThat(version.out()).isEqualTo("eventflow 0.1.0-SNAPSHOT\n");

    JarRunner.Run bad = java("", "feed", "--topic", "t", "--rate", "fast");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).startsWith("Invalid value for option '--rate'");
  }
}
