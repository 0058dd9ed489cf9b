package io.eventflow.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} child process on a free loopback port, without persistence, for one
 * test or benchmark run; it can be killed, restarted on the same port, frozen and thawed.
 *
 * <p>Readiness is a signal, not a poll: the server's own "Ready to accept connections" log line on
 * its standard output, awaited with a deadline. For tests ({@link #start()}), a missing binary
 * skips the test with a message saying how to install it, except under CI ({@code CI=true}), where
 * {@code .ci/run} installs it and a skip would hide a broken setup: there the test fails.
 * Benchmarks use {@link #startRequired()}, which throws instead.
 */
public final class RedisServerProcess implements AutoCloseable {
  /** What redis-server (6 and 7) prints once it listens. */
  private static final String READY = "Ready to accept connections";

  /** Redis starts in milliseconds; 10 s only bounds a broken machine. */
  private static final long START_SECONDS = 10;

  private final Path binary;
  private final int port;
  private Process process;

  private RedisServerProcess(Path binary, int port) {
    this.binary = binary;
    this.port = port;
  }

  /** Returns the {@code redis-server} binary on the PATH, if there is one. */
  public static Optional<Path> binary() {
    return ChildProcesses.find("redis-server");
  }

  /**
   * Starts redis-server for a test, or skips the test where it is not installed (fails instead when
   * {@code CI=true}).
   */
  public static RedisServerProcess start() throws IOException, InterruptedException {
    return launchOn(
        ChildProcesses.requireForTest(
            binary(),
            "redis-server is not installed (apt-get install redis-server); skipping the Redis tests",
            "redis-server is not installed, and CI=true: .ci/run should have installed it"));
  }

  /**
   * Starts redis-server for a benchmark run.
   *
   * @throws IllegalStateException if the binary is not on the PATH or the server does not start
   */
  public static RedisServerProcess startRequired() throws IOException, InterruptedException {
    Path binary =
        binary()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "redis-server is not on the PATH: the Redis level is skipped"
                            + " (apt-get install redis-server to measure it)"));
    return launchOn(binary);
  }

  private static RedisServerProcess launchOn(Path binary) throws IOException, InterruptedException {
    int port = FreePort.loopback();
    RedisServerProcess redis = new RedisServerProcess(binary, port);
    redis.launch();
    return redis;
  }

  /**
   * Starts (or restarts, after {@link #kill()}) the server on this object's port and waits for its
   * ready line.
   *
   * @throws IllegalStateException if the server exits or is not ready within 10 s
   */
  public void launch() throws IOException, InterruptedException {
    process =
        ChildProcesses.startUntilReady(
            new ProcessBuilder(
                binary.toString(),
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no"),
            READY,
            "redis-server-" + port,
            START_SECONDS);
  }

  /** Returns the server's {@code redis://127.0.0.1:port} URL. */
  public URI url() {
    return URI.create("redis://127.0.0.1:" + port);
  }

  /** Returns the port. */
  public int port() {
    return port;
  }

  /** Kills the server as a crash would (SIGKILL), and waits up to 10 s for it to die. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("redis-server did not die in 10 s after SIGKILL");
    }
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: a frozen Redis accepts but never answers. */
  public void freeze(boolean frozen) throws IOException, InterruptedException {
    Process signal =
        new ProcessBuilder("kill", frozen ? "-STOP" : "-CONT", Long.toString(process.pid()))
            .start();
    if (!signal.waitFor(10, TimeUnit.SECONDS) || signal.exitValue() != 0) {
      throw new IllegalStateException("could not signal redis-server");
    }
  }

  /** Thaws the server if frozen, then kills it. */
  @Override
  public void close() throws IOException, InterruptedException {
    if (process != null && process.isAlive()) {
      freeze(false);
      kill();
    }
  }
}
