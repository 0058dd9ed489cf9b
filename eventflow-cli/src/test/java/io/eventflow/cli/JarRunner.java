package io.eventflow.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the module's shaded jars in its own JVM, as a user would ({@code java -jar JAR
 * args...}), with stdin given and stdout and stderr captured: what in-process tests cannot catch,
 * such as gRPC's META-INF/services registrations lost in shading or a class left out of a jar.
 */
final class JarRunner {
  /**
   * How long one run may take: a run finishes in about 2 s (JVM start and one call), so this guards
   * against a hang, not a timing check.
   */
  private static final long WAIT_SECONDS = 60;

  /** What a run printed and how it exited. */
  record Run(int exitCode, String out, String err) {}

  private JarRunner() {}

  /** Runs {@code java -jar jar args...} with {@code stdin} and without PUBSUB_EMULATOR_HOST. */
  static Run java(Path jar, String stdin, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar.toString());
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
          jar.getFileName()
              + " "
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
      throw new UncheckedIOException(e);
    }
  }
}
