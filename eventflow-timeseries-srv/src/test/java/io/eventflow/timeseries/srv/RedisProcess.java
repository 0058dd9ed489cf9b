package io.eventflow.timeseries.srv;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} on a free loopback port, without persistence, for one test. Tests
 * using it are skipped, with a message saying why, only where the binary is not installed.
 */
final class RedisProcess implements AutoCloseable {
  private final int port;
  private Process process;

  private RedisProcess(int port) {
    this.port = port;
  }

  /** Starts redis-server on a free port, or skips the test if it is not installed. */
  static RedisProcess start() throws Exception {
    assumeTrue(
        binary() != null,
        "redis-server is not installed (apt-get install redis-server); skipping Redis tests");
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    RedisProcess redis = new RedisProcess(port);
    redis.launch();
    return redis;
  }

  private static String binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, "redis-server");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }

  /** Starts (or restarts) the server on this object's port and waits until it answers PING. */
  void launch() throws Exception {
    process =
        new ProcessBuilder(
                binary(),
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    // Redis starts in milliseconds; 10 s only bounds a broken machine.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!answersPing()) {
      if (System.nanoTime() > deadline || !process.isAlive()) {
        throw new IllegalStateException("redis-server did not start on port " + port);
      }
      Thread.sleep(20);
    }
  }

  private boolean answersPing() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.setSoTimeout(200);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] reply = new byte[7];
      int n = s.getInputStream().read(reply);
      return n > 0 && new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /** Returns the URL of this server. */
  URI url() {
    return URI.create("redis://127.0.0.1:" + port);
  }

  /** Kills the server as a crash would (SIGKILL), and waits for it to die. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: a frozen Redis accepts but never answers. */
  void freeze(boolean frozen) throws Exception {
    Process signal =
        new ProcessBuilder("kill", frozen ? "-STOP" : "-CONT", Long.toString(process.pid()))
            .start();
    if (!signal.waitFor(10, TimeUnit.SECONDS) || signal.exitValue() != 0) {
      throw new IllegalStateException("could not signal redis-server");
    }
  }

  @Override
  public void close() throws Exception {
    if (process != null && process.isAlive()) {
      freeze(false);
      kill();
    }
  }
}
