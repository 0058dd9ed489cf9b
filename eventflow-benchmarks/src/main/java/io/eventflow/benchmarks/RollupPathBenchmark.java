package io.eventflow.benchmarks;

import io.eventflow.common.pb.Event;
import io.eventflow.timeseries.rollups.CombineIntervalsFn;
import io.eventflow.timeseries.rollups.IntervalAccumulator;
import io.eventflow.timeseries.rollups.RollupKeys;
import io.eventflow.timeseries.rollups.RollupPoint;
import io.eventflow.timeseries.rollups.RollupSpec;
import io.eventflow.timeseries.store.AggregateFunction;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The rollups job's CPU work per event, without Beam: {@link RollupKeys#extract} turns each event
 * into points per series, and {@link CombineIntervalsFn} combines them the way Beam's combiner
 * lifting runs it: {@code addInput} into one accumulator per series and bundle, then per pane
 * {@code mergeAccumulators} of the bundles' partials and {@code extractOutput}. Target: at least 2M
 * events/s on one core. Anchors in the same run: extraction alone and combining alone.
 *
 * <p>The score is events per second ({@code @OperationsPerInvocation}): one invocation is one
 * bundle of {@value #BUNDLE} events, and every {@value #BUNDLES_PER_PANE}th bundle closes a pane.
 * Events are {@link SampleEvents#traffic} (web-shop mix, 1,000 skewed customers) over {@value
 * #MINUTES} minutes, so a pane touches one to three minutes per series, as a 10-second pane of a
 * busy stream does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RollupPathBenchmark {
  /** Events per bundle: the DirectRunner's and a busy Dataflow worker's order of magnitude. */
  static final int BUNDLE = 1_000;

  /** Bundles per pane: 10,000 events per 10-second pane is 1,000 events/s per key range. */
  static final int BUNDLES_PER_PANE = 10;

  /** Distinct events cycled through: more than fit in the L1 and L2 caches as objects. */
  private static final int EVENTS = 16_384;

  private static final int MINUTES = 2;

  /**
   * The rollup spec: {@code default} is the job's default (empty, counts only: two points per event
   * with a customer); {@code demo} is {@link SampleEvents#DEMO_ROLLUPS}, which adds up to two
   * points per event of the aggregated types.
   */
  @Param({"default", "demo"})
  public String spec;

  private final Event[] events = new Event[EVENTS];
  private RollupKeys keys;
  private final Combiner combiner = new Combiner();
  private int next;

  // The points of each event, extracted once for combineOnly: series and point per entry, and
  // where each event's points start.
  private String[] pointSeries;
  private RollupPoint[] points;
  private int[] firstPoint;

  /** Generates the events and extracts their points once for the combine-only anchor. */
  @Setup
  public void setUp() {
    keys = new RollupKeys(RollupSpec.parse(spec.equals("demo") ? SampleEvents.DEMO_ROLLUPS : ""));
    SampleEvents.traffic(EVENTS, Instant.parse("2024-05-31T16:00:00Z"), MINUTES, 42)
        .toArray(events);
    List<String> series = new ArrayList<>();
    List<RollupPoint> extracted = new ArrayList<>();
    firstPoint = new int[EVENTS + 1];
    for (int i = 0; i < EVENTS; i++) {
      firstPoint[i] = extracted.size();
      keys.extract(
          events[i],
          (s, function, minute, value) -> {
            series.add(s);
            extracted.add(new RollupPoint(minute, value, function));
          });
    }
    firstPoint[EVENTS] = extracted.size();
    pointSeries = series.toArray(new String[0]);
    points = extracted.toArray(new RollupPoint[0]);
  }

  /** Extraction and combining, as the job's ExtractPoints and CombinePerSeries steps run them. */
  @Benchmark
  @OperationsPerInvocation(BUNDLE)
  public void extractAndCombine(Blackhole blackhole) {
    for (int n = 0; n < BUNDLE; n++) {
      keys.extract(events[next], combiner);
      next = (next + 1) & (EVENTS - 1);
    }
    combiner.finishBundle(blackhole);
  }

  /** Anchor: extraction alone, each point built as the job builds it and handed to a black hole. */
  @Benchmark
  @OperationsPerInvocation(BUNDLE)
  public void extractOnly(Blackhole blackhole) {
    RollupKeys.PointSink sink =
        (series, function, minute, value) -> {
          blackhole.consume(series);
          blackhole.consume(new RollupPoint(minute, value, function));
        };
    for (int n = 0; n < BUNDLE; n++) {
      keys.extract(events[next], sink);
      next = (next + 1) & (EVENTS - 1);
    }
  }

  /** Anchor: combining alone, the same events' points extracted beforehand. */
  @Benchmark
  @OperationsPerInvocation(BUNDLE)
  public void combineOnly(Blackhole blackhole) {
    for (int n = 0; n < BUNDLE; n++) {
      for (int p = firstPoint[next]; p < firstPoint[next + 1]; p++) {
        combiner.add(pointSeries[p], points[p]);
      }
      next = (next + 1) & (EVENTS - 1);
    }
    combiner.finishBundle(blackhole);
  }

  /**
   * Beam's combiner lifting around {@link CombineIntervalsFn}: a bundle keeps one accumulator per
   * series; at the end of a bundle the partials join their pane, and at the end of a pane each
   * series' partials are merged and its output extracted.
   */
  private static final class Combiner implements RollupKeys.PointSink {
    private final CombineIntervalsFn fn = new CombineIntervalsFn();
    private final Map<String, IntervalAccumulator> bundle = new HashMap<>();
    private final Map<String, List<IntervalAccumulator>> pane = new HashMap<>();
    private int bundlesInPane;

    @Override
    public void accept(String series, AggregateFunction function, long minute, double value) {
      add(series, new RollupPoint(minute, value, function));
    }

    void add(String series, RollupPoint point) {
      IntervalAccumulator acc = bundle.get(series);
      if (acc == null) {
        acc = fn.createAccumulator();
        bundle.put(series, acc);
      }
      fn.addInput(acc, point);
    }

    void finishBundle(Blackhole blackhole) {
      for (Map.Entry<String, IntervalAccumulator> e : bundle.entrySet()) {
        pane.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
      }
      bundle.clear();
      if (++bundlesInPane == BUNDLES_PER_PANE) {
        for (List<IntervalAccumulator> partials : pane.values()) {
          blackhole.consume(fn.extractOutput(fn.mergeAccumulators(partials)));
        }
        pane.clear();
        bundlesInPane = 0;
      }
    }
  }
}
