package io.eventflow.benchmarks;

import io.eventflow.beam.DropRepeatedIdsInMemory;
import io.eventflow.common.pb.Event;
import io.eventflow.ingest.RepublishEvents;
import io.eventflow.timeseries.rollups.ComputeRollups;
import io.eventflow.timeseries.rollups.DecodeEvents;
import io.eventflow.timeseries.rollups.RollupSpec;
import io.eventflow.timeseries.rollups.WriteIntervals;
import io.eventflow.timeseries.store.IntervalRows;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.SeriesPage;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessageWithAttributesAndMessageIdCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.transforms.Deduplicate;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/**
 * A load driver (not a test, not JMH): the rollups job's transforms on Beam's DirectRunner over N
 * pre-generated events, into the embedded H2 store in a fresh directory, as the local stack runs
 * them. Prints events per second from {@code run()} until the pipeline is done; building the
 * events, encoding them into the bounded input and starting the JVM are not timed. Target: at least
 * 50k events/s with the DirectRunner's immutability and encodability checks off.
 *
 * <p>The graph is the one {@code RollupsPipeline.create} builds, step for step, with the messages
 * ingest republishes ({@link RepublishEvents#toMessage}, timestamped with event time as PubsubIO's
 * timestamp attribute does), held in memory and replayed by index from a bounded {@link
 * GenerateSequence}, in place of the subscription: {@link DecodeEvents}, the job's dedup on the
 * event id over its default 10 minutes ({@link Dedup}: by default the in-memory one the local stack
 * runs with {@code --dedupIn=MEMORY}, or Beam's {@link Deduplicate} as {@code
 * RollupsPipeline.deduplicate} configures it for Dataflow), {@link ComputeRollups} with the default
 * 10-second flush and the local stack's 8 series shards ({@code --seriesShards}; 0, one key per
 * series, is the job's default), and {@link WriteIntervals#toJdbc}. ({@code RollupsPipeline.create}
 * itself is package-private, so the steps are applied here.)
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.eventflow.benchmarks.RollupsDirectRunnerDriver
 * [--events=N] [--rollups=SPEC|demo] [--checks] [--dedup=memory|beam|none] [--series-shards=N]
 * [--dir=DIR]}.
 */
public final class RollupsDirectRunnerDriver {
  /** Event time of the first generated event. */
  static final Instant START = Instant.parse("2024-05-31T16:00:00Z");

  /** The local stack's {@code --seriesShards} (eventflow-local's {@code LocalStack}). */
  static final int LOCAL_STACK_SERIES_SHARDS = 8;

  /** Event-time minutes the generated events cover: a busy hour's worth of minute rows. */
  static final int MINUTES = 60;

  private RollupsDirectRunnerDriver() {}

  /**
   * What one run did.
   *
   * @param events events in the input
   * @param seconds wall time from {@code run()} to the pipeline's end
   * @param state the pipeline's final state
   */
  public record Result(int events, double seconds, PipelineResult.State state) {
    /** Returns events per second of wall time. */
    public double eventsPerSecond() {
      return events / seconds;
    }
  }

  /**
   * Returns the messages ingest republishes for the events (e.g. {@link SampleEvents#traffic} over
   * {@value #MINUTES} minutes from {@link #START}), each with a message id, timestamped with its
   * event time.
   */
  public static List<TimestampedValue<PubsubMessage>> messages(List<Event> events) {
    List<TimestampedValue<PubsubMessage>> messages = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      Event event = events.get(i);
      PubsubMessage republished = RepublishEvents.toMessage(event);
      messages.add(
          TimestampedValue.of(
              new PubsubMessage(
                  republished.getPayload(), republished.getAttributeMap(), Integer.toString(i)),
              new org.joda.time.Instant(
                  event.getTimestamp().getSeconds() * 1000
                      + event.getTimestamp().getNanos() / 1_000_000)));
    }
    return messages;
  }

  /**
   * Builds the pipeline over the messages, runs it to the end on the DirectRunner and times the
   * run.
   *
   * @param messages the input, e.g. from {@link #messages}
   * @param rollups the {@code --rollups} spec ("" is the job's default, counts only)
   * @param checks whether the DirectRunner's immutability and encodability checks are on
   * @param storeUrl the {@code jdbc:h2:} URL written to
   */
  public static Result run(
      List<TimestampedValue<PubsubMessage>> messages,
      String rollups,
      boolean checks,
      String storeUrl) {
    return run(messages, rollups, checks, Dedup.MEMORY, LOCAL_STACK_SERIES_SHARDS, storeUrl);
  }

  /** How the driven job drops repeated event ids. */
  public enum Dedup {
    /**
     * eventflow-beam's {@link DropRepeatedIdsInMemory}, as the local stack runs the job ({@code
     * --dedupIn=MEMORY}).
     */
    MEMORY,
    /** Beam's {@link Deduplicate}: a state cell and a timer per id, as on Dataflow. */
    BEAM,
    /** No dedup step: a diagnostic anchor. */
    NONE
  }

  /**
   * As {@link #run(List, String, boolean, String)}, with the given dedup step and {@code
   * --seriesShards} (0: one key per series, the job's default).
   */
  public static Result run(
      List<TimestampedValue<PubsubMessage>> messages,
      String rollups,
      boolean checks,
      Dedup dedup,
      int seriesShards,
      String storeUrl) {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setBlockOnRun(false);
    // The local stack turns both checks off (they clone and encode every element); the module
    // tests keep them on.
    options.setEnforceImmutability(checks);
    options.setEnforceEncodability(checks);
    // As RollupsPipeline.create does for the real job.
    options.as(StreamingOptions.class).setStreaming(true);

    // The input stays in this JVM's memory and the bounded source only counts: a Create would
    // hold every encoded message in its source, which the DirectRunner serializes again whenever it
    // translates the read (29% of the worker threads' samples at 300,000 events).
    String inputId = UUID.randomUUID().toString();
    INPUTS.put(inputId, messages);
    Pipeline pipeline = Pipeline.create(options);
    PCollection<Event> events =
        pipeline
            .apply("CountMessages", GenerateSequence.from(0).to(messages.size()))
            .apply("ReadMessages", ParDo.of(new ReplayFn(inputId)))
            .setCoder(PubsubMessageWithAttributesAndMessageIdCoder.of())
            .apply("DecodeEvents", new DecodeEvents(Clock.systemUTC()))
            .get(DecodeEvents.EVENTS);
    // The job remembers ids for its default --dedupWindowMinutes, 10.
    Duration window = Duration.standardMinutes(10);
    if (dedup == Dedup.MEMORY) {
      events =
          events.apply("DeduplicateEvents", new DropRepeatedIdsInMemory<>(Event::getId, window));
    } else if (dedup == Dedup.BEAM) {
      events =
          events.apply(
              "DeduplicateEvents",
              Deduplicate.<Event, String>withRepresentativeValueFn(Event::getId)
                  .withRepresentativeType(TypeDescriptors.strings())
                  .withDuration(window));
    }
    events
        .apply(
            "ComputeRollups",
            new ComputeRollups(
                    RollupSpec.parse(rollups), Duration.standardSeconds(10), "rollups-driver")
                .withSeriesShards(seriesShards))
        .apply("WriteIntervals", WriteIntervals.toJdbc(storeUrl));

    try {
      long started = System.nanoTime();
      PipelineResult result = pipeline.run();
      PipelineResult.State state = result.waitUntilFinish();
      double seconds = (System.nanoTime() - started) / 1e9;
      return new Result(messages.size(), seconds, state);
    } finally {
      INPUTS.remove(inputId);
    }
  }

  /** The inputs of the runs in progress, by id: the DirectRunner runs the DoFns in this JVM. */
  private static final Map<String, List<TimestampedValue<PubsubMessage>>> INPUTS =
      new ConcurrentHashMap<>();

  /** Emits the pre-generated message at each index, with its event time, as PubsubIO would. */
  static final class ReplayFn extends DoFn<Long, PubsubMessage> {
    private static final long serialVersionUID = 1L;
    private final String inputId;

    ReplayFn(String inputId) {
      this.inputId = inputId;
    }

    @ProcessElement
    public void processElement(@Element Long index, OutputReceiver<PubsubMessage> out) {
      TimestampedValue<PubsubMessage> message = INPUTS.get(inputId).get(Math.toIntExact(index));
      out.outputWithTimestamp(message.getValue(), message.getTimestamp());
    }
  }

  /**
   * What the store holds after a run: per series, the events counted in its minute rows and in its
   * quarter-hour rows over the generated range.
   *
   * @param minuteCounts events per series summed over its minute rows
   * @param quarterHourCounts events per series summed over its quarter-hour rows
   * @param minuteRows minute rows read
   */
  public record StoreTotals(
      Map<String, Long> minuteCounts, Map<String, Long> quarterHourCounts, long minuteRows) {}

  /** Reads every series of the store back over the generated range. */
  public static StoreTotals readBack(String storeUrl) throws StoreException {
    Map<String, Long> minutes = new TreeMap<>();
    Map<String, Long> quarters = new TreeMap<>();
    long minuteRows = 0;
    Instant end = START.plusSeconds(MINUTES * 60L);
    try (JdbcIntervalStore store = JdbcIntervalStore.open(storeUrl, Clock.systemUTC())) {
      String token = "";
      do {
        SeriesPage page = store.listSeries("", 1000, token);
        for (SeriesInfo series : page.series()) {
          IntervalRows m = store.readIntervals(series.name(), Resolution.MINUTE, START, end);
          minutes.put(series.name(), totalCount(m));
          minuteRows += m.size();
          quarters.put(
              series.name(),
              totalCount(store.readIntervals(series.name(), Resolution.QUARTER_HOUR, START, end)));
        }
        token = page.nextPageToken();
      } while (!token.isEmpty());
    }
    return new StoreTotals(minutes, quarters, minuteRows);
  }

  private static long totalCount(IntervalRows rows) {
    long total = 0;
    for (int i = 0; i < rows.size(); i++) {
      total += rows.eventCount(i);
    }
    return total;
  }

  /** Runs the driver; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException, StoreException {
    int count = 500_000;
    String rollups = "";
    boolean checks = false;
    Dedup dedup = Dedup.MEMORY;
    int shards = LOCAL_STACK_SERIES_SHARDS;
    Path dir = null;
    for (String arg : args) {
      if (arg.startsWith("--events=")) {
        count = Integer.parseInt(arg.substring("--events=".length()).replace("_", ""));
      } else if (arg.startsWith("--rollups=")) {
        rollups = arg.substring("--rollups=".length());
        rollups = rollups.equals("demo") ? SampleEvents.DEMO_ROLLUPS : rollups;
      } else if (arg.equals("--checks")) {
        checks = true;
      } else if (arg.startsWith("--series-shards=")) {
        shards = Integer.parseInt(arg.substring("--series-shards=".length()));
      } else if (arg.startsWith("--dedup=")) {
        dedup = Dedup.valueOf(arg.substring("--dedup=".length()).toUpperCase(Locale.ROOT));
      } else if (arg.startsWith("--dir=")) {
        dir = Path.of(arg.substring("--dir=".length()));
      } else {
        System.err.println(
            "usage: RollupsDirectRunnerDriver [--events=N] [--rollups=SPEC|demo] [--checks]"
                + " [--dedup=memory|beam|none] [--series-shards=N] [--dir=DIR]; unknown argument "
                + arg);
        System.exit(2);
      }
    }
    dir = dir == null ? Files.createTempDirectory("rollups-driver") : dir;
    String url = "jdbc:h2:file:" + dir.resolve("intervals") + ";DB_CLOSE_ON_EXIT=FALSE";

    List<TimestampedValue<PubsubMessage>> messages =
        messages(SampleEvents.traffic(count, START, MINUTES, 42));
    Result result = run(messages, rollups, checks, dedup, shards, url);
    StoreTotals totals = readBack(url);
    long counted =
        totals.minuteCounts().entrySet().stream()
            .filter(
                e ->
                    e.getKey().endsWith(".count")
                        && e.getKey().indexOf('.') == e.getKey().lastIndexOf('.'))
            .mapToLong(Map.Entry::getValue)
            .sum();
    System.out.printf(
        Locale.ROOT,
        "%d events in %.2f s: %,.0f events/s (checks %s, dedup %s, series shards %d, rollups \"%s\","
            + " state %s)%n"
            + "store %s: %d series, %d minute rows, %d events in the TYPE.count minute rows%n",
        result.events(),
        result.seconds(),
        result.eventsPerSecond(),
        checks ? "on" : "off",
        dedup.name().toLowerCase(Locale.ROOT),
        shards,
        rollups,
        result.state(),
        dir,
        totals.minuteCounts().size(),
        totals.minuteRows(),
        counted);
    if (result.state() != PipelineResult.State.DONE || counted != count) {
      System.err.println("the store does not hold every event once");
      System.exit(1);
    }
  }
}
