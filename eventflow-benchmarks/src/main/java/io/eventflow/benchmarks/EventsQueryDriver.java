package io.eventflow.benchmarks;

import com.google.protobuf.StringValue;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import io.eventflow.events.query.Aggregate;
import io.eventflow.events.query.ArchiveEventStore;
import io.eventflow.events.query.EventQueries;
import io.eventflow.events.query.EventQuery;
import io.eventflow.events.query.Fill;
import io.eventflow.events.query.QueryResult;
import io.eventflow.events.query.SampleBy;
import io.eventflow.ingest.ArchiveEvents;
import io.eventflow.ingest.TableRows;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;

/**
 * A load driver (not a test, not JMH): {@code eventflow events query --sample-by 1h} (count, sum
 * and max of an attribute per hour) over N archived purchase events spread over D days, as the CLI
 * runs it: a fresh {@link ArchiveEventStore} (a new in-process DuckDB) per query. Target: one
 * million events in at most 2 s on 2 cores.
 *
 * <p>The archive is written once per directory in the ingest job's archive format ({@link #write})
 * and reused by later runs with the same flags. Prints wall time and the process's CPU time per
 * query (DuckDB's threads are the process's): on a machine shared with other work, CPU seconds are
 * the figure that does not move with a neighbour's load.
 *
 * <pre>
 * java -cp eventflow-benchmarks/target/benchmarks.jar io.eventflow.benchmarks.EventsQueryDriver \
 *     [--events=1000000] [--days=7] [--runs=5] [--tz=UTC] [--dir=/tmp/eventflow-events-query-bench]
 * </pre>
 */
public final class EventsQueryDriver {
  private static final Instant START = Instant.parse("2026-11-01T00:00:00Z");

  private EventsQueryDriver() {}

  /** Runs the driver; flags as in the class comment. */
  public static void main(String[] args) throws Exception {
    long events = 1_000_000;
    int days = 7;
    int runs = 5;
    String tz = "UTC";
    Path dir = Path.of("/tmp/eventflow-events-query-bench");
    for (String arg : args) {
      String[] kv = arg.replaceFirst("^--", "").split("=", 2);
      switch (kv[0]) {
        case "events" -> events = Long.parseLong(kv[1]);
        case "days" -> days = Integer.parseInt(kv[1]);
        case "runs" -> runs = Integer.parseInt(kv[1]);
        case "tz" -> tz = kv[1];
        case "dir" -> dir = Path.of(kv[1]);
        default -> throw new IllegalArgumentException("unknown flag " + arg);
      }
    }
    Path archive = dir.resolve("events-" + events + "-days-" + days);
    if (!Files.isDirectory(archive.resolve("valid"))) {
      long t0 = System.nanoTime();
      write(archive, events, days);
      System.out.printf(
          Locale.ROOT,
          "wrote %,d events over %d days to %s in %.1f s%n",
          events,
          days,
          archive,
          (System.nanoTime() - t0) / 1e9);
    }
    EventQuery query =
        EventQuery.sample(
            "purchase",
            START,
            START.plus(java.time.Duration.ofDays(days)),
            null,
            SampleBy.parse("1h"),
            ZoneId.of(tz),
            Fill.NONE,
            Aggregate.parseList("count(), sum(amount), max(amount)"));
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    double[] walls = new double[runs];
    double[] cpus = new double[runs];
    for (int run = 0; run < runs; run++) {
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      QueryResult result;
      try (ArchiveEventStore store = ArchiveEventStore.of(archive)) {
        result = EventQueries.run(store, query);
      }
      walls[run] = (System.nanoTime() - t0) / 1e9;
      cpus[run] = (os.getProcessCpuTime() - cpu0) / 1e9;
      long counted = result.rows().stream().mapToLong(r -> (Long) r.get(1)).sum();
      if (counted != events) {
        throw new IllegalStateException("counted " + counted + " events, archived " + events);
      }
      System.out.printf(
          Locale.ROOT,
          "run %d: %d buckets, %,d events, wall %.2f s, CPU %.2f s, load %.2f%n",
          run + 1,
          result.rows().size(),
          counted,
          walls[run],
          cpus[run],
          os.getSystemLoadAverage());
    }
    System.out.printf(
        Locale.ROOT,
        "median of %d: wall %.2f s, CPU %.2f s (%d processors)%n",
        runs,
        median(walls),
        median(cpus),
        Runtime.getRuntime().availableProcessors());
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /**
   * Writes {@code events} purchases evenly over {@code days} as the ingest job's archive holds
   * them: the events table's rows as {@link TableRows#jsonLine} JSON lines, gzip-compressed, one
   * file per 10-minute window (the job's default {@code --archiveWindowMinutes}) under {@code
   * valid/dt=DATE/type=purchase/}. Written here rather than through {@link ArchiveEvents} on the
   * DirectRunner, which took over 10 minutes for a million rows on the shared machine; the tests of
   * eventflow-events-query query what ArchiveEvents itself writes.
   */
  static void write(Path archive, long events, int days) throws IOException {
    long spanMicros = days * 86_400_000_000L;
    long startMicros = START.getEpochSecond() * 1_000_000L;
    long windowMicros = 600_000_000L;
    Writer out = null;
    long window = Long.MIN_VALUE;
    try {
      for (long i = 0; i < events; i++) {
        long micros = startMicros + i * spanMicros / events;
        if (micros / windowMicros != window) {
          if (out != null) {
            out.close();
          }
          window = micros / windowMicros;
          Instant at = Instant.ofEpochSecond(micros / 1_000_000L);
          Path folder =
              archive.resolve(
                  "valid/dt=" + LocalDate.ofInstant(at, ZoneOffset.UTC) + "/type=purchase");
          Files.createDirectories(folder);
          out =
              new OutputStreamWriter(
                  new GZIPOutputStream(
                      Files.newOutputStream(folder.resolve("part-bench-" + window + ".json.gz")),
                      64 * 1024),
                  StandardCharsets.UTF_8);
        }
        out.write(TableRows.jsonLine(TableRows.eventRow(purchase(i, micros))));
        out.write('\n');
      }
    } finally {
      if (out != null) {
        out.close();
      }
    }
  }

  /** A purchase shaped like the synthetic feed's: a customer and three attributes. */
  static Event purchase(long i, long micros) {
    return Event.newBuilder()
        .setId(String.format(Locale.ROOT, "01JBENCH%018d", i))
        .setType("purchase")
        .setSource("checkout")
        .setCustomer(StringValue.of("customer-" + (i % 100)))
        .setTimestamp(Timestamps.fromMicros(micros))
        .putAttributes("amount", AttributeValues.of((i * 7919) % 1000))
        .putAttributes("currency", AttributeValues.of("EUR"))
        .putAttributes("sku", AttributeValues.of("sku-" + (i % 5000)))
        .build();
  }
}
