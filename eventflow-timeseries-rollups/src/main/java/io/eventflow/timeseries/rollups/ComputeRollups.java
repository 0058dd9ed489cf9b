package io.eventflow.timeseries.rollups;

import io.eventflow.common.pb.Event;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.SeriesInfo;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;

/**
 * Aggregates events into interval rows (minute and quarter-hour) and catalog updates.
 *
 * <p>Late data is never dropped: everything lives in the global window, which never expires, and a
 * processing-time trigger fires every flush interval with discarding panes, so each pane holds only
 * the events that arrived since the last one. Each pane's partial aggregate of a (series, minute)
 * becomes its own row; readers combine the rows of an interval. An event hours late simply adds a
 * row to its old minute. State stays bounded by the number of series (one key per series, not per
 * series and minute), because a pane's accumulator carries all the minutes it saw.
 */
public final class ComputeRollups extends PTransform<PCollection<Event>, PCollectionTuple> {
  private static final long serialVersionUID = 1L;

  /** The interval rows, minute and quarter-hour. */
  public static final TupleTag<IntervalRow> ROWS = new TupleTag<>() {};

  /** One catalog update per series and pane. */
  public static final TupleTag<SeriesInfo> CATALOG = new TupleTag<>() {};

  private final RollupSpec spec;
  private final Duration flushInterval;
  private final String rowIdSalt;
  private final int seriesShards;
  private final int maxDimensionValues;

  /**
   * Creates the transform for a spec, flushing every {@code flushInterval} of processing time, with
   * row ids salted by {@code rowIdSalt} (see {@link RowIds}), one key per series.
   */
  public ComputeRollups(RollupSpec spec, Duration flushInterval, String rowIdSalt) {
    this(spec, flushInterval, rowIdSalt, 0, RollupKeys.DEFAULT_MAX_DIMENSION_VALUES);
  }

  private ComputeRollups(
      RollupSpec spec,
      Duration flushInterval,
      String rowIdSalt,
      int seriesShards,
      int maxDimensionValues) {
    this.spec = spec;
    this.flushInterval = flushInterval;
    this.rowIdSalt = rowIdSalt;
    this.seriesShards = seriesShards;
    this.maxDimensionValues = maxDimensionValues;
  }

  /**
   * Returns this transform giving at most {@code max} values of each {@code by=} dimension their
   * own series per worker; later values are counted under {@link RollupKeys#OTHER}.
   */
  public ComputeRollups withMaxDimensionValues(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max dimension values must be at least 1, got " + max);
    }
    return new ComputeRollups(spec, flushInterval, rowIdSalt, seriesShards, max);
  }

  /**
   * Returns this transform combining series on {@code shards} keys (series hashed onto them)
   * instead of one key per series; 0 restores one key per series.
   *
   * <p>For the DirectRunner: it keeps a timer per key that never fires (the global window's end)
   * and scans every key's timers on each step, so per-series keys slow it down with every series it
   * has ever seen (a thousand customers make thousands of series). A distributed runner wants one
   * key per series: it spreads keys over workers.
   */
  public ComputeRollups withSeriesShards(int shards) {
    if (shards < 0) {
      throw new IllegalArgumentException("series shards must be 0 or more, got " + shards);
    }
    return new ComputeRollups(spec, flushInterval, rowIdSalt, shards, maxDimensionValues);
  }

  @Override
  public PCollectionTuple expand(PCollection<Event> events) {
    // 1. Each event becomes one point per series it feeds (count, custom rollups, per customer).
    PCollection<KV<String, RollupPoint>> points =
        events
            .apply(
                "ExtractPoints",
                ParDo.of(new ExtractPointsFn(new RollupKeys(spec, maxDimensionValues))))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), RollupCoders.RollupPointCoder.of()));

    // 2. Per series and pane: partial aggregates per minute.
    PCollection<KV<String, IntervalAccumulator>> combined =
        seriesShards > 0 ? combinePerShard(points) : combinePerSeries(points);

    // 4. Rows with deterministic ids, plus the catalog's first/last seen for the pane.
    PCollectionTuple rows =
        combined.apply(
            "ToIntervalRows",
            ParDo.of(new ToIntervalRowsFn(rowIdSalt))
                .withOutputTags(ROWS, TupleTagList.of(CATALOG)));
    rows.get(ROWS).setCoder(RollupCoders.IntervalRowCoder.of());
    rows.get(CATALOG).setCoder(RollupCoders.SeriesInfoCoder.of());
    return rows;
  }

  /**
   * Panes by arrival: fire every flush interval, forget what was fired, never expire. The same
   * trigger whatever the key.
   */
  private <K, V> Window<KV<K, V>> flushByArrival() {
    return Window.<KV<K, V>>into(new GlobalWindows())
        .triggering(
            Repeatedly.forever(
                AfterProcessingTime.pastFirstElementInPane().plusDelayOf(flushInterval)))
        .discardingFiredPanes()
        .withAllowedLateness(Duration.ZERO);
  }

  private PCollection<KV<String, IntervalAccumulator>> combinePerSeries(
      PCollection<KV<String, RollupPoint>> points) {
    // Combiner lifting pre-aggregates before the shuffle, so a hot series costs one accumulator
    // per bundle, not per event.
    return points
        .apply("FlushByArrival", this.<String, RollupPoint>flushByArrival())
        .apply("CombinePerSeries", Combine.perKey(new CombineIntervalsFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), RollupCoders.IntervalAccumulatorCoder.of()));
  }

  private PCollection<KV<String, IntervalAccumulator>> combinePerShard(
      PCollection<KV<String, RollupPoint>> points) {
    Coder<KV<Integer, Map<String, IntervalAccumulator>>> partialCoder =
        KvCoder.of(
            VarIntCoder.of(),
            MapCoder.of(StringUtf8Coder.of(), RollupCoders.IntervalAccumulatorCoder.of()));
    // Each bundle's points are summed per series before the shuffle (the combiner lifting the
    // DirectRunner does not do for triggered combines): the grouping then buffers, copies and
    // encodes a few maps per bundle instead of every point.
    return points
        .apply("PreAggregatePerShard", ParDo.of(new PreAggregateFn(seriesShards)))
        .setCoder(partialCoder)
        .apply("FlushByArrival", this.<Integer, Map<String, IntervalAccumulator>>flushByArrival())
        .apply("CombinePerShard", Combine.perKey(new MergeShardFn()))
        .setCoder(partialCoder)
        .apply("SplitShards", ParDo.of(new SplitShardFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), RollupCoders.IntervalAccumulatorCoder.of()));
  }

  /**
   * Sums a bundle's points per series, grouped by the shard each series hashes to, and emits one
   * partial map per shard when the bundle ends. Points live in the global window (the job reads
   * Pub/Sub without windowing).
   */
  static final class PreAggregateFn
      extends DoFn<KV<String, RollupPoint>, KV<Integer, Map<String, IntervalAccumulator>>> {
    private static final long serialVersionUID = 1L;

    private final int shards;
    private transient Map<Integer, Map<String, IntervalAccumulator>> partials;
    private transient org.joda.time.Instant earliest;

    PreAggregateFn(int shards) {
      this.shards = shards;
    }

    @StartBundle
    public void startBundle() {
      partials = new HashMap<>();
      earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    }

    @ProcessElement
    public void processElement(
        @Element KV<String, RollupPoint> point,
        @Timestamp org.joda.time.Instant timestamp,
        BoundedWindow window) {
      if (!(window instanceof GlobalWindow)) {
        throw new IllegalStateException("rollup points must be in the global window: " + window);
      }
      String series = point.getKey();
      RollupPoint p = point.getValue();
      partials
          .computeIfAbsent(Math.floorMod(series.hashCode(), shards), shard -> new HashMap<>())
          .computeIfAbsent(series, s -> new IntervalAccumulator())
          .add(p.function(), p.minuteStart(), p.value());
      earliest = timestamp.isBefore(earliest) ? timestamp : earliest;
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      for (Map.Entry<Integer, Map<String, IntervalAccumulator>> shard : partials.entrySet()) {
        // The earliest point's timestamp, so the output holds the watermark no later than its
        // inputs did.
        context.output(KV.of(shard.getKey(), shard.getValue()), earliest, GlobalWindow.INSTANCE);
      }
      partials = new HashMap<>();
    }
  }

  /** Merges partial maps of one shard: one accumulator per series. */
  static final class MergeShardFn
      extends CombineFn<
          Map<String, IntervalAccumulator>,
          Map<String, IntervalAccumulator>,
          Map<String, IntervalAccumulator>> {
    private static final long serialVersionUID = 1L;

    @Override
    public Map<String, IntervalAccumulator> createAccumulator() {
      return new HashMap<>();
    }

    @Override
    public Map<String, IntervalAccumulator> addInput(
        Map<String, IntervalAccumulator> acc, Map<String, IntervalAccumulator> partial) {
      partial.forEach(
          (series, intervals) ->
              acc.computeIfAbsent(series, s -> new IntervalAccumulator()).merge(intervals));
      return acc;
    }

    @Override
    public Map<String, IntervalAccumulator> mergeAccumulators(
        Iterable<Map<String, IntervalAccumulator>> accumulators) {
      Map<String, IntervalAccumulator> merged = new HashMap<>();
      for (Map<String, IntervalAccumulator> acc : accumulators) {
        addInput(merged, acc);
      }
      return merged;
    }

    @Override
    public Map<String, IntervalAccumulator> extractOutput(Map<String, IntervalAccumulator> acc) {
      return acc;
    }

    @Override
    public Coder<Map<String, IntervalAccumulator>> getAccumulatorCoder(
        CoderRegistry registry, Coder<Map<String, IntervalAccumulator>> inputCoder) {
      return MapCoder.of(StringUtf8Coder.of(), RollupCoders.IntervalAccumulatorCoder.of());
    }
  }

  /** Emits each series of a shard's pane on its own, keeping the pane. */
  static final class SplitShardFn
      extends DoFn<KV<Integer, Map<String, IntervalAccumulator>>, KV<String, IntervalAccumulator>> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void processElement(
        @Element KV<Integer, Map<String, IntervalAccumulator>> shard,
        OutputReceiver<KV<String, IntervalAccumulator>> out) {
      shard.getValue().forEach((series, intervals) -> out.output(KV.of(series, intervals)));
    }
  }

  /** Emits the points of each event keyed by series name. */
  static final class ExtractPointsFn extends DoFn<Event, KV<String, RollupPoint>> {
    private static final long serialVersionUID = 1L;
    private final Counter skipped = Metrics.counter(ComputeRollups.class, "skippedValues");
    private final RollupKeys keys;

    ExtractPointsFn(RollupKeys keys) {
      this.keys = keys;
    }

    @ProcessElement
    public void processElement(@Element Event event, OutputReceiver<KV<String, RollupPoint>> out) {
      int n =
          keys.extract(
              event,
              (series, function, minute, value) ->
                  out.output(KV.of(series, new RollupPoint(minute, value, function))));
      if (n > 0) {
        skipped.inc(n);
      }
    }
  }

  /** Turns one pane of one series into rows and a catalog update. */
  static final class ToIntervalRowsFn extends DoFn<KV<String, IntervalAccumulator>, IntervalRow> {
    private static final long serialVersionUID = 1L;
    private final String salt;

    ToIntervalRowsFn(String salt) {
      this.salt = salt;
    }

    @ProcessElement
    public void processElement(
        @Element KV<String, IntervalAccumulator> pane,
        PaneInfo paneInfo,
        BoundedWindow window,
        MultiOutputReceiver out) {
      String series = pane.getKey();
      IntervalAccumulator acc = pane.getValue();
      if (acc.size() == 0) {
        return;
      }
      long windowEnd = window.maxTimestamp().getMillis();
      long paneIndex = paneInfo.getIndex();
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (IntervalRow row :
          acc.rows(
              series,
              (s, resolution, start) ->
                  RowIds.rowId(salt, s, resolution, start, windowEnd, paneIndex))) {
        out.get(ROWS).output(row);
      }
      for (int i = 0; i < acc.size(); i++) {
        first = Math.min(first, acc.minute(i));
        last = Math.max(last, acc.minute(i));
      }
      out.get(CATALOG)
          .output(
              new SeriesInfo(
                  series,
                  acc.function(),
                  Instant.ofEpochSecond(first),
                  Instant.ofEpochSecond(last)));
    }
  }
}
