package io.eventflow.timeseries.rollups;

import io.eventflow.common.pb.Event;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.SeriesInfo;
import java.time.Instant;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
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

  /**
   * Creates the transform for a spec, flushing every {@code flushInterval} of processing time, with
   * row ids salted by {@code rowIdSalt} (see {@link RowIds}).
   */
  public ComputeRollups(RollupSpec spec, Duration flushInterval, String rowIdSalt) {
    this.spec = spec;
    this.flushInterval = flushInterval;
    this.rowIdSalt = rowIdSalt;
  }

  @Override
  public PCollectionTuple expand(PCollection<Event> events) {
    // 1. Each event becomes one point per series it feeds (count, custom rollups, per customer).
    PCollection<KV<String, RollupPoint>> points =
        events
            .apply("ExtractPoints", ParDo.of(new ExtractPointsFn(new RollupKeys(spec))))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), RollupCoders.RollupPointCoder.of()));

    // 2. Panes by arrival: fire every flush interval, forget what was fired, never expire.
    PCollection<KV<String, RollupPoint>> panes =
        points.apply(
            "FlushByArrival",
            Window.<KV<String, RollupPoint>>into(new GlobalWindows())
                .triggering(
                    Repeatedly.forever(
                        AfterProcessingTime.pastFirstElementInPane().plusDelayOf(flushInterval)))
                .discardingFiredPanes()
                .withAllowedLateness(Duration.ZERO));

    // 3. Per series and pane: partial aggregates per minute. Combiner lifting pre-aggregates
    //    before the shuffle, so a hot series costs one accumulator per bundle, not per event.
    PCollection<KV<String, IntervalAccumulator>> combined =
        panes
            .apply("CombinePerSeries", Combine.perKey(new CombineIntervalsFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), RollupCoders.IntervalAccumulatorCoder.of()));

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
