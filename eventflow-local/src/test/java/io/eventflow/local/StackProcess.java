package io.eventflow.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The local stack in a JVM of its own, for tests that kill it as a user would ({@code kill -9}) or
 * stop it ({@code SIGTERM}). The child prints {@code READY PUBSUB GRPC} once it serves and {@code
 * CHECKPOINT PATH} each time the jobs complete a checkpoint; its shutdown hook reports in {@code
 * DIR.stopped}; everything it prints goes to a log file.
 */
final class StackProcess implements AutoCloseable {
  private final Process process;
  private final String pubsub;
  private final String grpc;
  private final Path dataDir;
  private final CompletableFuture<Void> checkpointed;
  private final Path log;

  private StackProcess(
      Process process,
      String pubsub,
      String grpc,
      Path dataDir,
      CompletableFuture<Void> checkpointed,
      Path log) {
    this.process = process;
    this.log = log;
    this.pubsub = pubsub;
    this.grpc = grpc;
    this.dataDir = dataDir;
    this.checkpointed = checkpointed;
  }

  /** The child: starts the stack on free ports and runs until killed or told to stop. */
  public static void main(String[] args) throws Exception {
    LocalConfig config =
        LocalConfig.defaults()
            .withDataDir(Path.of(args[0]))
            .withPorts(0, 0, -1)
            .withRollups(args[1])
            .withFlushInterval(Duration.ofSeconds(1));
    LocalStack stack = LocalStack.start(config);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // Reported in a file of its own: by the time shutdown hooks run, other
                  // libraries' hooks may already have closed the streams this process writes to.
                  List<String> lines = new ArrayList<>();
                  try {
                    stack.close(Duration.ofSeconds(30), lines::add);
                    lines.add("STOPPED");
                  } catch (Throwable t) {
                    lines.add("STOP FAILED: " + t);
                  }
                  try {
                    Files.write(stopReport(config.dataDir()), lines, StandardCharsets.UTF_8);
                  } catch (IOException e) {
                    e.printStackTrace();
                  }
                }));
    System.out.println("READY " + stack.pubsubHostAndPort() + " " + stack.grpcHostAndPort());
    System.out.flush();
    // Tells the parent each time a checkpoint completes, so it can kill the process while the jobs
    // run rather than while they are still being deployed.
    Path checkpoints = config.dataDir().resolve("flink").resolve("checkpoints");
    Optional<Path> last = EmbeddedFlink.latestCheckpoint(checkpoints);
    while (true) {
      TimeUnit.MILLISECONDS.sleep(100);
      Optional<Path> now = EmbeddedFlink.latestCheckpoint(checkpoints);
      if (now.isPresent() && !now.equals(last)) {
        System.out.println("CHECKPOINT " + now.get());
        System.out.flush();
        last = now;
      }
    }
  }

  /** Where the child reports what its shutdown hook did. */
  private static Path stopReport(Path dataDir) {
    return dataDir.resolveSibling(dataDir.getFileName() + ".stopped");
  }

  /** Starts a child on {@code dataDir} and waits until it serves, appending its output to log. */
  static StackProcess start(Path dataDir, String rollups, Path log, Duration timeout)
      throws IOException, InterruptedException, TimeoutException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("--add-opens=java.base/java.util=ALL-UNNAMED");
    command.add("--add-opens=java.base/java.lang=ALL-UNNAMED");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(StackProcess.class.getName());
    command.add(dataDir.toString());
    command.add(rollups);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<String> ready = new CompletableFuture<>();
    CompletableFuture<Void> checkpointed = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                  PrintWriter out =
                      new PrintWriter(
                          Files.newBufferedWriter(
                              log,
                              StandardCharsets.UTF_8,
                              StandardOpenOption.CREATE,
                              StandardOpenOption.APPEND),
                          true)) {
                String line;
                while ((line = in.readLine()) != null) {
                  out.println(line);
                  if (line.startsWith("READY ")) {
                    ready.complete(line);
                  } else if (line.startsWith("CHECKPOINT ") && ready.isDone()) {
                    checkpointed.complete(null);
                  }
                }
              } catch (IOException e) {
                ready.completeExceptionally(e);
              }
              ready.completeExceptionally(new IOException("the stack exited before it was ready"));
            },
            "stack-process-output");
    reader.setDaemon(true);
    reader.start();
    try {
      String[] line = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS).split(" ");
      return new StackProcess(process, line[1], line[2], dataDir, checkpointed, log);
    } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
      process.destroyForcibly().waitFor();
      throw new IllegalStateException("the stack did not start; see " + log, e);
    }
  }

  /** The broker's {@code host:port}. */
  String pubsub() {
    return pubsub;
  }

  /** The query service's {@code host:port}. */
  String grpc() {
    return grpc;
  }

  /** Whether the jobs completed a checkpoint since this start. */
  boolean checkpointed() {
    return checkpointed.isDone();
  }

  /** Waits until the jobs completed a checkpoint after this start. */
  void awaitCheckpoint(Duration timeout) throws Exception {
    checkpointed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** {@code kill -9}: the process ends at once, in the middle of whatever it does. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /**
   * {@code SIGTERM}, as Ctrl-C: returns how long the process took to exit, having checked that its
   * shutdown hook closed the stack.
   */
  Duration terminate(Duration bound) throws Exception {
    long start = System.nanoTime();
    process.destroy();
    if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("the stack did not exit within " + bound + " of SIGTERM");
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    Path report = stopReport(dataDir);
    List<String> lines = Files.exists(report) ? Files.readAllLines(report) : List.of();
    Files.deleteIfExists(report);
    if (!lines.contains("STOPPED")) {
      throw new AssertionError(
          "the stack exited with status "
              + process.exitValue()
              + " without closing the stack from its shutdown hook ("
              + lines
              + "); see "
              + log.toAbsolutePath());
    }
    return took;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
