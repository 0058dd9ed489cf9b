package io.eventflow.cli;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.RateLimiter;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.local.LocalConfig;
import io.eventflow.local.LocalRunner;
import io.eventflow.local.LocalStack;
import io.eventflow.local.LocalStackException;
import io.eventflow.publisher.EventPublisher;
import io.eventflow.timeseries.api.SeriesQuery;
import io.eventflow.timeseries.api.SeriesValues;
import io.eventflow.timeseries.api.TimeSeriesClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow bench}: starts the local stack in this process, publishes events at a steady
 * rate through {@link EventPublisher}, polls the query service until every event is counted, and
 * prints the sustained rate from published to queryable and the freshness percentiles.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Measures the local stack end to end: starts it in this process on free ports, publishes"
          + " --events events at --rate, polls a count series through the query service until all"
          + " are counted, and reports the rate from published to queryable and the freshness"
          + " (published to visible in a query) p50, p99 and max.",
      "Everything shares this machine's cores: publisher, broker, both jobs, query service."
    })
final class BenchCommand implements Callable<Integer> {
  /** How often the count is polled: the resolution of the freshness figures. */
  static final Duration POLL_INTERVAL = Duration.ofMillis(250);

  private final CliContext context;

  @Option(
      names = "--events",
      paramLabel = "N",
      defaultValue = "600000",
      description = "How many events to publish. Default: 600000 (30 s at the default rate).")
  int events;

  @Option(
      names = "--rate",
      paramLabel = "EVENTS_PER_SECOND",
      defaultValue = "20000",
      converter = RateConverter.class,
      description = "Publish rate, e.g. 20000/s. Default: 20000/s, the local stack's target.")
  double rate;

  @Option(
      names = "--flush-interval",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "The rollups flush interval, as for local. Default: 2s.")
  Duration flushInterval;

  @Option(
      names = "--checkpoint-interval",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "How often Flink checkpoints the jobs, as for local. Default: 2s.")
  Duration checkpointInterval;

  @Option(
      names = "--runner",
      paramLabel = "RUNNER",
      defaultValue = "flink",
      converter = RunnerConverter.class,
      description = "The engine of the jobs, as for local: flink or direct. Default: flink.")
  LocalRunner runner;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "10m",
      converter = DurationConverter.class,
      description = "Give up waiting for the last events after this long. Default: 10m.")
  Duration timeout;

  @Option(
      names = "--idle",
      paramLabel = "DURATION",
      defaultValue = "20s",
      converter = DurationConverter.class,
      description =
          "Before publishing, measure this process's CPU use over this long with no traffic (after"
              + " 5 s to settle). Default: 20s.")
  Duration idle;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Where the stack keeps its data. Default: a new temporary directory, deleted afterwards.")
  Path dataDir;

  @Spec CommandSpec spec;

  BenchCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    if (events < 1) {
      throw new ParameterException(spec.commandLine(), "--events must be at least 1");
    }
    PrintWriter out = spec.commandLine().getOut();
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("eventflow-bench");
    LocalConfig config;
    try {
      config =
          LocalConfig.defaults()
              .withDataDir(dir)
              .withPorts(0, 0, -1)
              .withFlushInterval(flushInterval)
              .withCheckpointInterval(checkpointInterval)
              .withRunner(runner);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    long started = System.nanoTime();
    LocalStack stack;
    try {
      stack = LocalStack.start(config);
    } catch (LocalStackException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("eventflow bench: " + e.getMessage());
      err.flush();
      return EventflowCommand.EXIT_ERROR;
    }
    out.printf(
        Locale.ROOT,
        "local stack on %s started in %.1f s (%d cores, data in %s)%n",
        runner.name().toLowerCase(Locale.ROOT),
        seconds(System.nanoTime() - started),
        Runtime.getRuntime().availableProcessors(),
        dir);
    out.flush();
    HeapSampler heap = new HeapSampler();
    try (TimeSeriesClient client = TimeSeriesClient.connect(stack.grpcHostAndPort())) {
      measureIdle(out);
      heap.start();
      return run(stack, client, out);
    } finally {
      heap.stop();
      heap.report(out);
      long stopping = System.nanoTime();
      stack.close(Duration.ZERO, message -> {});
      out.printf(Locale.ROOT, "stopped in %.1f s%n", seconds(System.nanoTime() - stopping));
      out.flush();
      if (dataDir == null) {
        deleteRecursively(dir);
      }
    }
  }

  /** The CPU time this process used so far, in nanoseconds, or -1 if the JVM does not say. */
  private static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean cpu
        ? cpu.getProcessCpuTime()
        : -1;
  }

  /** Prints the CPU this process used, as a share of one core, over {@code --idle}. */
  private void measureIdle(PrintWriter out) throws InterruptedException {
    if (processCpuNanos() < 0) {
      out.println("idle: this JVM does not report its CPU time");
      return;
    }
    TimeUnit.SECONDS.sleep(5);
    long cpuStart = processCpuNanos();
    long wallStart = System.nanoTime();
    TimeUnit.NANOSECONDS.sleep(idle.toNanos());
    double share = (processCpuNanos() - cpuStart) / (double) (System.nanoTime() - wallStart);
    out.printf(
        Locale.ROOT,
        "idle: %.1f%% of one core over %.0f s with no traffic%n",
        share * 100,
        seconds(idle.toNanos()));
    out.flush();
  }

  /**
   * Samples, every 10 s, the heap still in use after the last full collection of the old
   * generation: the figure that stays flat when a long run holds no more than it should.
   */
  private static final class HeapSampler {
    private final List<Long> samples = new ArrayList<>();
    private final java.util.concurrent.ScheduledExecutorService timer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "eventflow-bench-heap");
              t.setDaemon(true);
              return t;
            });

    void start() {
      timer.scheduleAtFixedRate(this::sample, 10, 10, TimeUnit.SECONDS);
    }

    private void sample() {
      long used = 0;
      boolean any = false;
      for (java.lang.management.MemoryPoolMXBean pool :
          java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
        java.lang.management.MemoryUsage afterGc = pool.getCollectionUsage();
        if (pool.getType() == java.lang.management.MemoryType.HEAP && afterGc != null) {
          used += afterGc.getUsed();
          any = true;
        }
      }
      if (any) {
        synchronized (samples) {
          samples.add(used);
        }
      }
    }

    void stop() {
      timer.shutdownNow();
    }

    void report(PrintWriter out) {
      synchronized (samples) {
        if (samples.isEmpty()) {
          return;
        }
        int n = samples.size();
        out.printf(
            Locale.ROOT,
            "heap after GC, every 10 s: first %d MB, middle %d MB, last %d MB, max %d MB (%d"
                + " samples)%n",
            samples.get(0) >> 20,
            samples.get(n / 2) >> 20,
            samples.get(n - 1) >> 20,
            samples.stream().mapToLong(Long::longValue).max().getAsLong() >> 20,
            n);
      }
      out.flush();
    }
  }

  private int run(LocalStack stack, TimeSeriesClient client, PrintWriter out) throws Exception {
    // A type of its own per run, so a reused data directory never counts an earlier run's events.
    String type = "bench_" + Long.toHexString(context.seeds().getAsLong() & 0xffff_ffffL);
    Instant from = context.clock().instant().minus(Duration.ofHours(1));
    long[] confirmed = new long[events];
    AtomicInteger confirmations = new AtomicInteger();
    AtomicLong failures = new AtomicLong();
    Poller poller = new Poller(client, type + ".count", from);

    long publishStart = System.nanoTime();
    long cpuStart = processCpuNanos();
    Thread polling = new Thread(poller, "eventflow-bench-poll");
    polling.setDaemon(true);
    polling.start();
    try (EventPublisher publisher =
        EventPublisher.newBuilder(LocalStack.EVENTS_TOPIC)
            .project(LocalStack.PROJECT)
            .emulatorHost(stack.pubsubHostAndPort())
            .defaultSource("eventflow-bench")
            .build()) {
      RateLimiter limiter = RateLimiter.create(rate);
      Random random = new Random(context.seeds().getAsLong());
      for (int i = 0; i < events; i++) {
        limiter.acquire();
        ApiFuture<String> future = publisher.publish(event(type, i, random));
        ApiFutures.addCallback(
            future,
            new ApiFutureCallback<String>() {
              @Override
              public void onSuccess(String id) {
                confirmed[confirmations.getAndIncrement()] = System.nanoTime();
              }

              @Override
              public void onFailure(Throwable t) {
                failures.incrementAndGet();
              }
            },
            MoreExecutors.directExecutor());
      }
      publisher.flush();
    }
    long publishEnd = System.nanoTime();
    int published = confirmations.get();
    out.printf(
        Locale.ROOT,
        "published %,d events in %.1f s (%,.0f/s; target rate %,.0f/s), %,d failed%n",
        published,
        seconds(publishEnd - publishStart),
        published / seconds(publishEnd - publishStart),
        rate,
        failures.get());
    out.flush();

    long deadline = System.nanoTime() + timeout.toNanos();
    while (poller.lastCount() < published && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(POLL_INTERVAL.toMillis());
    }
    long cpuEnd = processCpuNanos();
    poller.stop();
    polling.join();

    long[] publishedAt = java.util.Arrays.copyOf(confirmed, published);
    Freshness freshness = Freshness.of(publishedAt, poller.times(), poller.counts());
    long allVisible = poller.firstTimeAtLeast(published);
    if (allVisible < 0) {
      out.printf(
          Locale.ROOT,
          "only %,d of %,d events queryable after %s; the jobs are %s%n",
          poller.lastCount(),
          published,
          timeout,
          stack.jobsState());
    } else {
      double span = seconds(allVisible - publishStart);
      out.printf(
          Locale.ROOT,
          "queryable: all %,d after %.1f s from the first publish: %,.0f events/s published to"
              + " queryable%n",
          published,
          span,
          published / span);
    }
    out.printf(
        Locale.ROOT,
        "freshness (published to counted by a query, polled every %d ms): p50 %.1f s, p99 %.1f s,"
            + " max %.1f s (flush interval %s)%n",
        POLL_INTERVAL.toMillis(),
        seconds(freshness.quantileNanos(0.50)),
        seconds(freshness.quantileNanos(0.99)),
        seconds(freshness.quantileNanos(1.0)),
        flushInterval);
    if (cpuStart >= 0 && published > 0) {
      // The figure neighbours on the machine do not move much: CPU time, not elapsed time.
      out.printf(
          Locale.ROOT,
          "cpu: %.1f s from the first publish until the last count (%.3f ms per event: publisher,"
              + " broker, jobs and queries together)%n",
          seconds(cpuEnd - cpuStart),
          (cpuEnd - cpuStart) / 1e6 / published);
    }
    out.flush();
    return allVisible < 0 || failures.get() > 0 ? EventflowCommand.EXIT_ERROR : 0;
  }

  /** A ~300-byte event like a web shop's purchase: a customer and five attributes. */
  private static Event event(String type, int i, Random random) {
    return Event.newBuilder()
        .setType(type)
        .setCustomer(com.google.protobuf.StringValue.of("customer-" + random.nextInt(1_000)))
        .putAttributes(
            "amount_cents", AttributeValue.newBuilder().setIntValue(100 + i % 9_900).build())
        .putAttributes("currency", AttributeValue.newBuilder().setStringValue("EUR").build())
        .putAttributes("items", AttributeValue.newBuilder().setIntValue(1 + i % 5).build())
        .putAttributes(
            "load_time", AttributeValue.newBuilder().setFloatValue(random.nextDouble()).build())
        .putAttributes("page", AttributeValue.newBuilder().setStringValue("/checkout").build())
        .build();
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  /** Counts the run's events through the query service, bypassing its cache, until stopped. */
  private static final class Poller implements Runnable {
    private final TimeSeriesClient client;
    private final String series;
    private final Instant from;
    private final List<long[]> samples = new ArrayList<>();
    private volatile boolean running = true;
    private volatile long lastCount;

    Poller(TimeSeriesClient client, String series, Instant from) {
      this.client = client;
      this.series = series;
      this.from = from;
    }

    @Override
    public void run() {
      while (running) {
        long at = System.nanoTime();
        long count = count();
        synchronized (samples) {
          samples.add(new long[] {at, count});
        }
        lastCount = count;
        try {
          TimeUnit.NANOSECONDS.sleep(
              Math.max(0, POLL_INTERVAL.toNanos() - (System.nanoTime() - at)));
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private long count() {
      try {
        SeriesValues values =
            client.get(
                SeriesQuery.of(series, from, Instant.now().plus(Duration.ofHours(1)))
                    .step(Duration.ofHours(4))
                    .noCache());
        double sum = 0;
        for (int i = 0; i < values.size(); i++) {
          sum += values.value(i);
        }
        return (long) sum;
      } catch (RuntimeException e) {
        // Not yet created (no rows), or a transient error: count what was seen before.
        return lastCount;
      }
    }

    long lastCount() {
      return lastCount;
    }

    void stop() {
      running = false;
    }

    long[] times() {
      synchronized (samples) {
        return samples.stream().mapToLong(s -> s[0]).toArray();
      }
    }

    long[] counts() {
      synchronized (samples) {
        return samples.stream().mapToLong(s -> s[1]).toArray();
      }
    }

    long firstTimeAtLeast(long count) {
      synchronized (samples) {
        for (long[] sample : samples) {
          if (sample[1] >= count) {
            return sample[0];
          }
        }
      }
      return -1;
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
