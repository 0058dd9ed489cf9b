package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.publisher.MockPubSubServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the shaded {@code target/eventflow.jar} in its own JVM, as a user would: it catches what
 * in-process tests cannot, such as gRPC's META-INF/services registrations lost in shading.
 */
class FatJarIT {
  private static final Path JAR = Path.of("target", "eventflow.jar");

  private record Run(int exitCode, String out, String err) {}

  private static Run java(String stdin, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(JAR.toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().remove("PUBSUB_EMULATOR_HOST");
    Process process = builder.start();
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread errReader = new Thread(() -> copy(process.getErrorStream(), err));
    errReader.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("eventflow.jar finished").isTrue();
    errReader.join();
    return new Run(process.exitValue(), out, err.toString(StandardCharsets.UTF_8));
  }

  private static void copy(InputStream from, ByteArrayOutputStream to) {
    try {
      from.transferTo(to);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void theJarPublishesToAnEmulator() throws Exception {
    assertThat(Files.isRegularFile(JAR)).as("%s exists", JAR).isTrue();
    try (MockPubSubServer pubsub = MockPubSubServer.start()) {
      Run run =
          java(
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
    Run version = java("", "--version");
    assertThat(version.exitCode()).isZero();
    assertThat(version.out()).isEqualTo("eventflow 0.1.0-SNAPSHOT\n");

    Run bad = java("", "feed", "--topic", "t", "--rate", "fast");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).startsWith("Invalid value for option '--rate'");
  }
}
