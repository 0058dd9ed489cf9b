package io.eventflow.broker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A broker in a child JVM on the test classpath, for tests that kill it (SIGKILL, or a halt at a
 * chosen step) and restart on its data directory.
 */
final class ChildBroker {
  private static final Pattern READY = Pattern.compile("PUBSUB_EMULATOR_HOST=(\\S+)");

  /**
   * How long each wait may take before the test fails saying what it waited for: the child starts
   * in about a second and each loop of the tests finishes in a few, so this is a guard against a
   * hang, not a timing check.
   */
  static final Duration WAIT = Duration.ofMinutes(1);

  private ChildBroker() {}

  /** Starts {@code main} with {@code args} in a child JVM; its stderr is discarded. */
  static Process start(Class<?> main, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectError(
            ProcessBuilder.Redirect.appendTo(new java.io.File("/tmp/childbroker-err.log")))
        .start();
  }

  /**
   * Returns the address the child prints once it listens. Its output is read on a thread of its own
   * so the wait has a deadline: a child that hangs before printing is killed, which ends the read.
   */
  static String awaitReady(Process child) throws Exception {
    CompletableFuture<String> address =
        CompletableFuture.supplyAsync(
            () -> {
              BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
              try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                  Matcher m = READY.matcher(line);
                  if (m.find()) {
                    return m.group(1);
                  }
                }
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
              return null;
            });
    try {
      String found = address.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      if (found == null) {
        throw new AssertionError(
            "child broker exited before it was ready: "
                + (child.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS) ? child.exitValue() : "?"));
      }
      return found;
    } catch (TimeoutException e) {
      child.destroyForcibly();
      throw new AssertionError("child broker printed no address within " + WAIT, e);
    }
  }

  /** A deadline for a wait loop, failing with what was awaited. */
  record Deadline(long endNanos, Duration limit, String what) {
    Deadline(Duration limit, String what) {
      this(System.nanoTime() + limit.toNanos(), limit, what);
    }

    void check() {
      if (System.nanoTime() - endNanos > 0) {
        throw new AssertionError("not within " + limit + ": " + what);
      }
    }
  }
}
