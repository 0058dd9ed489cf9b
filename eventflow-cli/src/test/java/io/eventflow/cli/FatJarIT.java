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

  /**
   * How long one run of the jar may take: it finishes in about 2 s (JVM start of a 170 MB jar and
   * one publish), so this guards against a hang, not a timing check.
   */
  private static final long WAIT_SECONDS = 60;

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
    // Both streams are read on threads of their own while this one waits with a deadline: reading
    // stdout to its end first would wait forever for a process that never exits.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread outReader = new Thread(() -> copy(process.getInputStream(), out));
    Thread errReader = new Thread(() -> copy(process.getErrorStream(), err));
    outReader.start();
    errReader.start();
    if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
      throw new AssertionError(
          "eventflow.jar "
              + String.join(" ", args)
              + " did not finish within "
              + WAIT_SECONDS
              + " s; stdout: "
              + out.toString(StandardCharsets.UTF_8)
              + "; stderr: "
              + err.toString(StandardCharsets.UTF_8));
    }
    // The streams end with the process; the joins are bounded all the same.
    outReader.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    errReader.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    return new Run(
        process.exitValue(),
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
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
