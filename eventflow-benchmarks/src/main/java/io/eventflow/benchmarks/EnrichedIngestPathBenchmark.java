package io.eventflow.benchmarks;

import com.github.benmanes.caffeine.cache.Ticker;
import com.google.protobuf.StringValue;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.ContentType;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.Entity;
import io.eventflow.common.pb.Event;
import io.eventflow.enrichment.EntityCache;
import io.eventflow.enrichment.EntityLookup;
import io.eventflow.enrichment.Lookup;
import io.eventflow.enrichment.LookupStats;
import io.eventflow.enrichment.RedisEntityCache;
import io.eventflow.ingest.EnrichEvents;
import io.eventflow.ingest.EventParser;
import io.eventflow.ingest.ParseOutcome;
import io.eventflow.ingest.RepublishEvents;
import io.eventflow.ingest.TableRows;
import io.eventflow.testing.RedisServerProcess;
import io.eventflow.timeseries.store.jdbc.JdbcEntityStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The ingest per-event path of {@link IngestPathBenchmark} with enrichment on, as ingest's {@code
 * EnrichEvents} step runs it per bundle: {@value #BUNDLE} binary messages parsed, their customers
 * looked up in one {@link EntityLookup#lookupAll}, each event enriched ({@link
 * EnrichEvents#enrich}), then its BigQuery row and republished message. 1,000 customers, 100
 * messages per bundle.
 *
 * <ul>
 *   <li>{@code l1Hits}: every key in L1 (the steady state). Target ≥ 100,000 events/s per core.
 *   <li>{@code l2Hits}: L1 emptied before each bundle, every key in Redis (a real redis-server on a
 *       free port, the store never read): what a fresh or evicting worker pays. Redis round trips
 *       per bundle are printed at the end (target: at most one).
 *   <li>{@code off}: the same bundle without enrichment, the anchor.
 * </ul>
 *
 * <p>Hit rates and round trips ({@link LookupStats}) are printed at the end of each trial.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EnrichedIngestPathBenchmark {
  static final int BUNDLE = 100;
  private static final int CUSTOMERS = 1_000;
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2024-05-31T17:08:37Z"), ZoneOffset.UTC);

  /** Which level answers: {@code l1}, {@code l2} or {@code off}. */
  @Param({"off", "l1", "l2"})
  public String level;

  private final EventParser parser = new EventParser(ValidationLimits.DEFAULTS, CLOCK);
  private final List<byte[]> payloads = new ArrayList<>();
  private final List<Map<String, String>> attributes = new ArrayList<>();
  private JdbcEntityStore store;
  private RedisServerProcess redis;
  private EntityCache l2 = EntityCache.NONE;
  private EntityLookup lookup;
  private final LookupStats stats = new LookupStats();
  private long bundles;
  private int next;
  private long cpuStartNanos;
  private long bundlesAtStart;
  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /**
   * Starts the CPU clock of this measurement iteration: on a shared machine the CPU time per event
   * of the benchmark thread is the figure a neighbour's load does not move (much).
   */
  @Setup(Level.Iteration)
  public void startCpuClock() {
    cpuStartNanos = THREADS.getCurrentThreadCpuTime();
    bundlesAtStart = bundles;
  }

  /** Prints this iteration's CPU time per event. */
  @TearDown(Level.Iteration)
  public void stopCpuClock() {
    long events = (bundles - bundlesAtStart) * BUNDLE;
    if (events > 0) {
      System.out.printf(
          " [%s cpu %.2f us/event = %,.0f events per CPU-second]",
          level,
          (THREADS.getCurrentThreadCpuTime() - cpuStartNanos) / 1e3 / events,
          events * 1e9 / (THREADS.getCurrentThreadCpuTime() - cpuStartNanos));
    }
  }

  /** Loads the customers, warms the levels the parameter names, encodes the sample messages. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    store = JdbcEntityStore.open("jdbc:h2:mem:" + UUID.randomUUID(), CLOCK);
    List<Entity> entities = new ArrayList<>();
    for (int i = 0; i < CUSTOMERS; i++) {
      entities.add(
          Entity.newBuilder()
              .setKind("customer")
              .setKey("customer-" + i)
              .putAttributes("plan", AttributeValues.of(i % 10 == 0 ? "gold" : "free"))
              .putAttributes("region", AttributeValues.of(i % 2 == 0 ? "eu" : "us"))
              .build());
    }
    store.upsert(entities);
    if (level.equals("l2")) {
      redis = RedisServerProcess.startRequired();
      l2 =
          RedisEntityCache.connect(
              new RedisEntityCache.Settings(
                  redis.url(),
                  Duration.ofSeconds(1),
                  4,
                  Duration.ofHours(1),
                  Duration.ofHours(1),
                  Duration.ofSeconds(5)),
              Ticker.systemTicker(),
              stats);
    }
    lookup =
        new EntityLookup(
            "customer",
            store,
            l2,
            EntityLookup.Settings.DEFAULTS.withTtls(Duration.ofHours(1), Duration.ofHours(1)),
            Ticker.systemTicker(),
            stats);
    List<String> all = new ArrayList<>();
    for (int i = 0; i < CUSTOMERS; i++) {
      all.add("customer-" + i);
    }
    lookup.lookupAll(all);
    for (int i = 0; i < CUSTOMERS; i++) {
      Event event =
          SampleEvents.purchase().toBuilder()
              .setCustomer(StringValue.of("customer-" + (i * 7919 % CUSTOMERS)))
              .build();
      payloads.add(event.toByteArray());
      attributes.add(IngestPathBenchmark.publisherAttributes(event, ContentType.PROTOBUF));
    }
  }

  /** Prints where the answers came from, for docs/BENCHMARKS.md. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    LookupStats.Snapshot s = stats.snapshot();
    System.out.printf(
        "%n[%s] bundles=%d keys=%d l1Hits=%d (%.1f%%) l2Hits=%d l2RoundTrips=%d (%.2f per bundle)"
            + " storeReads=%d%n",
        level,
        bundles,
        s.keys(),
        s.l1Hits(),
        s.keys() == 0 ? 0 : 100.0 * s.l1Hits() / s.keys(),
        s.l2Hits(),
        s.l2Reads(),
        bundles == 0 ? 0 : (double) s.l2Reads() / bundles,
        s.storeReads());
    l2.close();
    store.close();
    if (redis != null) {
      redis.close();
    }
  }

  /** One bundle: parse, look up (unless off), enrich, row, republished message. */
  @Benchmark
  @OperationsPerInvocation(BUNDLE)
  public void bundle(Blackhole blackhole) {
    bundles++;
    if (level.equals("l2")) {
      lookup.invalidateL1();
    }
    List<Event> events = new ArrayList<>(BUNDLE);
    List<String> keys = new ArrayList<>(BUNDLE);
    for (int i = 0; i < BUNDLE; i++) {
      int at = next;
      next = (next + 1) % CUSTOMERS;
      Event event =
          ((ParseOutcome.Valid) parser.parse("m", attributes.get(at), payloads.get(at))).event();
      events.add(event);
      keys.add(event.getCustomer().getValue());
    }
    Map<String, Lookup> answers = level.equals("off") ? Map.of() : lookup.lookupAll(keys);
    for (Event event : events) {
      Event out =
          level.equals("off")
              ? event
              : EnrichEvents.enrich(
                  event,
                  "customer",
                  event.getCustomer().getValue(),
                  answers.get(event.getCustomer().getValue()));
      blackhole.consume(TableRows.eventRow(out));
      blackhole.consume(RepublishEvents.toMessage(out).getPayload());
    }
  }
}
