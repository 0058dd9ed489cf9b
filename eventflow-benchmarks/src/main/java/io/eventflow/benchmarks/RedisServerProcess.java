package io.eventflow.benchmarks;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} child process on a free loopback port, without persistence, for one
 * benchmark run: the Redis cache level is measured against a real Redis or not at all.
 */
public final class RedisServerProcess implements AutoCloseable {
  private final Process process;
  private final int port;

  private RedisServerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Returns the {@code redis-server} binary on the PATH, if there is one. */
  public static Optional<Path> binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator, -1)) {
      Path p = Path.of(dir, "redis-server");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Starts {@code redis-server} on a free loopback port and waits until it answers PING.
   *
   * @throws IllegalStateException if the binary is not on the PATH or the server does not start
   */
  public static RedisServerProcess start() throws IOException, InterruptedException {
    Path binary =
        binary()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "redis-server is not on the PATH: the Redis level is skipped"
                            + " (apt-get install redis-server to measure it)"));
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Process process =
        new ProcessBuilder(
                binary.toString(),
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
    RedisServerProcess redis = new RedisServerProcess(process, port);
    // Redis starts in milliseconds; 10 s only bounds a broken machine.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!redis.answersPing()) {
      if (System.nanoTime() > deadline || !process.isAlive()) {
        redis.close();
        throw new IllegalStateException("redis-server did not start on port " + port);
      }
      Thread.sleep(20);
    }
    return redis;
  }

  /** Returns the server's {@code redis://127.0.0.1:port} URL. */
  public URI url() {
    return URI.create("redis://127.0.0.1:" + port);
  }

  private boolean answersPing() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      s.setSoTimeout(200);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] reply = new byte[7];
      int n = in.readNBytes(reply, 0, reply.length);
      return new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops the server and waits up to 5 s for it to exit, then kills it. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
