package io.eventflow.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Eclipse Mosquitto broker (the Debian {@code mosquitto} package) on a free loopback port,
 * with a generated configuration, for one test: anonymous clients, MQTT 3.1.1 and 5, no persistence
 * to disk (sessions live as long as the process).
 *
 * <p>Where the binary is missing the test is skipped with a message saying how to install it,
 * except under CI ({@code CI=true}), where {@code .ci/run} installs it and a skip would hide a
 * broken setup: there the test fails.
 */
public final class MosquittoProcess implements AutoCloseable {
  private final Path binary;
  private final Path dir;
  private final int port;
  private final List<String> extraConfig;
  private Process process;

  private MosquittoProcess(Path binary, Path dir, int port, List<String> extraConfig) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
    this.extraConfig = extraConfig;
  }

  /**
   * Starts mosquitto on a free loopback port with {@code extraConfig} lines appended to the
   * generated configuration (e.g. {@code max_inflight_messages 100}), or skips the test when
   * mosquitto is not installed.
   */
  public static MosquittoProcess start(String... extraConfig)
      throws IOException, InterruptedException {
    Path binary =
        ChildProcesses.requireForTest(
            // Debian installs the broker in /usr/sbin, which a non-root PATH often lacks.
            ChildProcesses.find("mosquitto", "/usr/sbin", "/usr/local/sbin"),
            "mosquitto is not installed (apt-get install mosquitto); skipping the Mosquitto tests",
            "mosquitto is not installed, and CI=true: .ci/run should have installed it");
    int port = FreePort.loopback();
    MosquittoProcess mosquitto =
        new MosquittoProcess(
            binary, Files.createTempDirectory("mosquitto"), port, List.of(extraConfig));
    mosquitto.launch();
    return mosquitto;
  }

  /** Starts (or restarts, after {@link #kill()}) the broker and waits until it accepts. */
  public void launch() throws IOException, InterruptedException {
    Path config = dir.resolve("mosquitto.conf");
    List<String> lines = new ArrayList<>();
    lines.add("listener " + port + " 127.0.0.1");
    lines.add("allow_anonymous true");
    lines.add("persistence false");
    lines.add("log_dest file " + dir.resolve("mosquitto.log"));
    lines.addAll(extraConfig);
    Files.write(config, lines, StandardCharsets.UTF_8);
    process =
        new ProcessBuilder(binary.toString(), "-c", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("stdout.log").toFile())
            .start();
    // Mosquitto listens within milliseconds; 10 s only bounds a broken machine.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!accepts()) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "mosquitto exited with "
                + process.exitValue()
                + ": "
                + Files.readString(dir.resolve("stdout.log")));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("mosquitto did not listen on port " + port + " in 10 s");
      }
      Thread.sleep(20);
    }
  }

  private boolean accepts() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Returns {@code tcp://127.0.0.1:PORT}. */
  public String uri() {
    return "tcp://127.0.0.1:" + port;
  }

  /** Returns the port. */
  public int port() {
    return port;
  }

  /** Kills the broker (SIGKILL) and waits for it to die; {@link #launch()} starts it again. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Stops the broker and deletes its directory. */
  @Override
  public void close() throws IOException, InterruptedException {
    if (process != null && process.isAlive()) {
      kill();
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
