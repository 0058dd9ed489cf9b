package io.eventflow.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * A Flink cluster inside the process (Flink's {@code MiniCluster}): one job manager and one task
 * manager, their REST endpoint on a free loopback port, state on the heap, checkpoints under {@code
 * DIR/flink/checkpoints}. Jobs reach it as they would reach any Flink cluster, through Beam's
 * FlinkRunner with {@code --flinkMaster=HOST:PORT}: the local stack exercises the very submission
 * path of a real cluster.
 *
 * <p>What survives a crash, and why: every completed checkpoint is kept ({@code
 * RETAIN_ON_CANCELLATION}, set per job), so after {@code kill -9} or a cancel the next start finds
 * the newest one in {@link #latestCheckpoint(Path)} and restores it.
 */
final class EmbeddedFlink implements AutoCloseable {
  /** Task slots; the local jobs run with parallelism 1 and share one slot. */
  private static final int SLOTS = 2;

  /**
   * Flink's managed memory (RocksDB's block cache and write buffers when RocksDB is chosen). Flink
   * would otherwise size it from the free heap, gigabytes on a laptop.
   */
  private static final String MANAGED_MEMORY = "128m";

  /**
   * How often the cluster's Pekko schedulers (its RPC and its metrics actor systems) wake up: each
   * runs a timer wheel that ticks every 10 ms by default, idle or not. That is 200 wake-ups a
   * second and 0.5% of a core on an idle stack; at 100 ms, 0.1% (docs/BENCHMARKS.md, "Idle, quiet
   * evening"). What they schedule is coarse (heartbeats every 10 s, RPC timeouts, the 2 s restart
   * delay), so it runs at most 100 ms later. Flink has no setting for it; Pekko takes what Flink
   * leaves unset from system properties, so this sets one unless the JVM was given its own.
   */
  static final String PEKKO_TICK = "100ms";

  private final MiniCluster cluster;
  private final String master;
  private final Path jobJar;

  private EmbeddedFlink(MiniCluster cluster, String master, Path jobJar) {
    this.cluster = cluster;
    this.master = master;
    this.jobJar = jobJar;
  }

  /**
   * Starts the cluster with its working files under {@code dir} ({@code checkpoints/}, {@code
   * rocksdb/}, {@code tmp/}), clearing what a killed process left in the last two.
   */
  static EmbeddedFlink start(Path dir, String host) throws Exception {
    Path checkpoints = dir.resolve("checkpoints");
    Path rocksdb = dir.resolve("rocksdb");
    Path tmp = dir.resolve("tmp");
    // RocksDB's working copies and temporary files are rebuilt from the checkpoint on restore; a
    // killed process leaves them behind.
    deleteRecursively(rocksdb);
    deleteRecursively(tmp);
    Files.createDirectories(checkpoints);
    Files.createDirectories(rocksdb);
    Files.createDirectories(tmp);

    if (System.getProperty("pekko.scheduler.tick-duration") == null) {
      System.setProperty("pekko.scheduler.tick-duration", PEKKO_TICK);
    }
    Configuration conf = new Configuration();
    conf.setString("rest.address", host);
    conf.setString("rest.bind-address", host);
    conf.setString("rest.bind-port", "0");
    conf.setString("jobmanager.bind-host", host);
    conf.setString("taskmanager.bind-host", host);
    conf.setString("taskmanager.host", host);
    // State on the heap, snapshotted whole (asynchronously) at each checkpoint. Measured with
    // `eventflow bench` on 2 cores: 3,185 events/s published to queryable on the heap against
    // about 500/s in RocksDB, whose per-element JNI puts, deletes and background compactions for
    // the dedup ids and timers held the jobs back. The price: state must fit the heap, and each
    // checkpoint copies all of it (see the README's bounds). -Dflink.state.backend.type=rocksdb
    // chooses RocksDB (incremental checkpoints, state on disk) for large state.
    conf.setString("state.backend.type", "hashmap");
    conf.setString("state.backend.incremental", "true");
    conf.setString("state.backend.rocksdb.localdir", rocksdb.toString());
    conf.setString("state.checkpoints.dir", checkpoints.toUri().toString());
    conf.setString("state.checkpoints.num-retained", "1");
    conf.setString("io.tmp.dirs", tmp.toString());
    conf.setString("taskmanager.memory.managed.size", MANAGED_MEMORY);
    // A failing task (a store write that throws, say) restarts the job from its last checkpoint a
    // few times before the job is given up and the stack reports it.
    conf.setString("restart-strategy.type", "fixed-delay");
    conf.setString("restart-strategy.fixed-delay.attempts", "5");
    conf.setString("restart-strategy.fixed-delay.delay", "2 s");
    conf.setString("classloader.check-leaked-classloader", "false");
    // Jobs run in this process, on classes this process already loaded: resolving them there first
    // keeps one copy of each (two copies of the H2 engine would lock each other out of the store).
    conf.setString("classloader.resolve-order", "parent-first");
    conf.setString("web.submit.enable", "false");

    // Any -Dflink.KEY=VALUE overrides a Flink setting above, to try another setting without a
    // build (a state backend, a timer service, buffer timeouts).
    System.getProperties()
        .stringPropertyNames()
        .forEach(
            name -> {
              if (name.startsWith("flink.")) {
                conf.setString(name.substring("flink.".length()), System.getProperty(name));
              }
            });

    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(SLOTS)
                .setCommonBindAddress(host)
                .build());
    Path jobJar = tmp.resolve("job-classes.jar");
    new JarOutputStream(Files.newOutputStream(jobJar), new Manifest()).close();
    cluster.start();
    try {
      URI rest = cluster.getRestAddress().get(30, TimeUnit.SECONDS);
      return new EmbeddedFlink(cluster, rest.getHost() + ":" + rest.getPort(), jobJar);
    } catch (Exception e) {
      cluster.closeAsync().get(30, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** The cluster's REST endpoint as {@code host:port}, Beam's {@code --flinkMaster}. */
  String master() {
    return master;
  }

  /**
   * Triggers a checkpoint of the job running on the cluster (the stack runs one); the future ends
   * with the checkpoint's id once it completed, or with why it was not taken (no job running, a
   * task not running yet, the checkpoint declined or timed out).
   */
  CompletableFuture<Long> triggerCheckpoint() {
    return cluster
        .listJobs()
        .thenCompose(
            jobs -> {
              Optional<JobID> running =
                  jobs.stream()
                      .filter(job -> !job.getJobState().isGloballyTerminalState())
                      .map(job -> job.getJobId())
                      .findFirst();
              if (running.isEmpty()) {
                return CompletableFuture.failedFuture(
                    new IllegalStateException("no job is running"));
              }
              return cluster.triggerCheckpoint(running.get(), CheckpointType.CONFIGURED);
            });
  }

  /**
   * An empty jar to give Beam as the files to stage. The job's classes are on this process's
   * classpath, where the cluster finds them; given no files at all, Beam would upload the whole
   * classpath (the command line's 270 MB jar) to the cluster on every start.
   */
  Path jobJar() {
    return jobJar;
  }

  /**
   * Returns the newest completed checkpoint under {@code checkpoints}, if any: a {@code chk-N}
   * folder whose {@code _metadata} exists (Flink writes it last, once every task's state is
   * stored), the newest by that file's time and then by N.
   */
  static Optional<Path> latestCheckpoint(Path checkpoints) {
    if (!Files.isDirectory(checkpoints)) {
      return Optional.empty();
    }
    try (Stream<Path> jobs = Files.list(checkpoints)) {
      return jobs.filter(Files::isDirectory)
          .flatMap(EmbeddedFlink::completedCheckpoints)
          .max(
              Comparator.comparing((Path chk) -> modified(chk.resolve("_metadata")))
                  .thenComparingLong(EmbeddedFlink::number));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + checkpoints, e);
    }
  }

  /**
   * Deletes every job's checkpoints under {@code checkpoints} but those of the job that wrote
   * {@code keep}: a restored job keeps its own checkpoints in a folder of its own, and Flink
   * deletes a restored checkpoint only once the new job's checkpoints no longer need it, which they
   * never do here (each first checkpoint after a restore is a full one). Disk use is thus bounded
   * by two jobs' checkpoints.
   */
  static void deleteCheckpointsExcept(Path checkpoints, Optional<Path> keep) throws IOException {
    if (!Files.isDirectory(checkpoints)) {
      return;
    }
    Path kept = keep.map(chk -> chk.getParent()).orElse(null);
    try (Stream<Path> jobs = Files.list(checkpoints)) {
      for (Path job : jobs.toList()) {
        if (!job.equals(kept)) {
          deleteRecursively(job);
        }
      }
    }
  }

  private static Stream<Path> completedCheckpoints(Path job) {
    try (Stream<Path> entries = Files.list(job)) {
      List<Path> done =
          entries
              .filter(p -> p.getFileName().toString().matches("chk-\\d+"))
              .filter(p -> Files.isRegularFile(p.resolve("_metadata")))
              .toList();
      return done.stream();
    } catch (IOException e) {
      return Stream.empty();
    }
  }

  private static FileTime modified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  private static long number(Path chk) {
    return Long.parseLong(chk.getFileName().toString().substring("chk-".length()));
  }

  /**
   * Returns the lineage id kept in {@code file}: the salt of row ids and the run id of archive
   * files, which must stay the same as long as jobs restore one another's checkpoints and change
   * when a job starts without state (its pane indices start at 0 again). A new one comes from
   * {@code fresh} when {@code restoring} is false or the file is missing.
   */
  static String lineage(Path file, boolean restoring, Supplier<String> fresh) throws IOException {
    if (restoring && Files.isRegularFile(file)) {
      String id = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (!id.isEmpty()) {
        return id;
      }
    }
    String id = fresh.get();
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(temporary, id + "\n", StandardCharsets.UTF_8);
    Files.move(
        temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return id;
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> all = Files.walk(path)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Stops the cluster; jobs still running are cancelled, their last checkpoint kept. */
  @Override
  public void close() throws Exception {
    cluster.closeAsync().get(30, TimeUnit.SECONDS);
  }
}
