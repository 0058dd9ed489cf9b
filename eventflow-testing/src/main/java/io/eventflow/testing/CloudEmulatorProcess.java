package io.eventflow.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One of Google's Cloud emulators, as the Google Cloud CLI's Debian packages install them, run as a
 * child process on a free loopback port for one test class, without Docker: so far Spanner ({@code
 * google-cloud-cli-spanner-emulator}: real DDL, commits and SQL), which a client reaches through
 * {@code SpannerOptions.Builder.setEmulatorHost(emulator.hostAndPort())}. The installed Pub/Sub
 * emulator (528.0.0) is not offered: it ignores subscription filters, so the broker's compatibility
 * checks fail on it; they run against its newer Docker image instead.
 *
 * <p>Readiness is the emulator's own line saying it listens, awaited with a 60 s deadline. Where
 * the emulator is missing the test is skipped with a message, also under CI: Debian does not ship
 * the Google Cloud CLI, so {@code .ci/run} cannot install it (the Docker variants of the same tests
 * are skipped without a Docker daemon likewise).
 */
public final class CloudEmulatorProcess implements AutoCloseable {
  /** Where the Google Cloud CLI's Debian packages put the SDK. */
  private static final String[] SDK_ROOTS = {
    "/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk"
  };

  /** An emulator starts in about a second; 60 s only bounds a broken or loaded machine. */
  private static final long START_SECONDS = 60;

  private final String name;
  private final int port;
  private final Process process;

  private CloudEmulatorProcess(String name, int port, Process process) {
    this.name = name;
    this.port = port;
    this.process = process;
  }

  /** Starts the Spanner emulator ({@code emulator_main}), or skips the test without it. */
  public static CloudEmulatorProcess startSpanner() throws IOException, InterruptedException {
    return start(
        "the Spanner emulator",
        "bin/cloud_spanner_emulator/emulator_main",
        "google-cloud-cli-spanner-emulator",
        port -> List.of("--host_port", "127.0.0.1:" + port),
        "Server address");
  }

  private interface Flags {
    List<String> forPort(int port);
  }

  private static CloudEmulatorProcess start(
      String name, String pathInSdk, String debianPackage, Flags flags, String ready)
      throws IOException, InterruptedException {
    Optional<Path> binary = find(pathInSdk);
    assumeTrue(
        binary.isPresent(),
        name + " is not installed (the " + debianPackage + " package); skipping the tests on it");
    int port = FreePort.loopback();
    ProcessBuilder command = new ProcessBuilder(binary.get().toString());
    command.command().addAll(flags.forPort(port));
    Process process = ChildProcesses.startUntilReady(command, ready, name, START_SECONDS);
    return new CloudEmulatorProcess(name, port, process);
  }

  private static Optional<Path> find(String pathInSdk) {
    for (String root : SDK_ROOTS) {
      Path binary = Path.of(root, pathInSdk);
      if (binary.toFile().canExecute()) {
        return Optional.of(binary);
      }
    }
    return Optional.empty();
  }

  /** Returns the emulator's {@code 127.0.0.1:port}, the emulator host of a client. */
  public String hostAndPort() {
    return "127.0.0.1:" + port;
  }

  /**
   * Kills the emulator and what it started (the Pub/Sub one is a script running a JVM; its data
   * lives in memory only) and waits up to 10 s for it to die.
   */
  @Override
  public void close() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " did not die in 10 s after SIGKILL");
    }
  }
}
