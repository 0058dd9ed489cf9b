package io.eventflow.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the process fixtures share: finding an installed binary, skipping a test without it, and
 * starting a server process until it prints its ready line.
 */
final class ChildProcesses {
  private ChildProcesses() {}

  /** Returns the executable {@code name} on the PATH or in one of {@code moreDirs}, if any. */
  static Optional<Path> find(String name, String... moreDirs) {
    List<String> dirs =
        new ArrayList<>(
            List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator, -1)));
    dirs.addAll(List.of(moreDirs));
    for (String dir : dirs) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Skips the calling test with {@code skipMessage} where {@code binary} is missing, except under
   * CI ({@code CI=true}), where {@code .ci/run} installs it and a skip would hide a broken setup:
   * there it fails with {@code ciMessage}.
   */
  static Path requireForTest(Optional<Path> binary, String skipMessage, String ciMessage) {
    if (binary.isEmpty() && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new IllegalStateException(ciMessage);
    }
    assumeTrue(binary.isPresent(), skipMessage);
    return binary.get();
  }

  /**
   * Starts {@code command} (standard error joined to standard output) and waits up to {@code
   * seconds} until a line of its output contains {@code ready}; the output is drained for as long
   * as the process lives, so a chatty server never blocks on a full pipe.
   *
   * @throws IllegalStateException if the process exits first (with what it printed) or is not ready
   *     in time (then it is killed)
   */
  static Process startUntilReady(ProcessBuilder command, String ready, String name, long seconds)
      throws IOException, InterruptedException {
    Process process = command.redirectErrorStream(true).start();
    CompletableFuture<Void> isReady = new CompletableFuture<>();
    StringBuilder output = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader lines =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                  if (!isReady.isDone()) {
                    output.append(line).append('\n');
                    if (line.contains(ready)) {
                      isReady.complete(null);
                    }
                  }
                }
              } catch (IOException e) {
                // The process died; reported below as "exited before it was ready".
              }
              isReady.completeExceptionally(
                  new IllegalStateException(name + " exited before it was ready:\n" + output));
            },
            name + "-output");
    reader.setDaemon(true);
    reader.start();
    try {
      isReady.get(seconds, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (IllegalStateException) e.getCause();
    } catch (TimeoutException e) {
      process.destroyForcibly();
      throw new IllegalStateException(name + " was not ready in " + seconds + " s", e);
    }
    return process;
  }
}
