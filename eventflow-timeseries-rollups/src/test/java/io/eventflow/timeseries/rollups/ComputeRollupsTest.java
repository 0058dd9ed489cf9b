package io.eventflow.timeseries.rollups;

import static io.eventflow.timeseries.rollups.Events.event;
import static io.eventflow.timeseries.rollups.Events.num;
import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.common.pb.Event;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/**
 * Streaming behaviour of the rollups, LeaderBoardTest-style: a TestStream advances processing time
 * to fire panes and the watermark to make events early, on time or hours late.
 */
public class ComputeRollupsTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
  private static final Duration FLUSH = Duration.standardSeconds(10);
  private static final RollupSpec SPEC =
      RollupSpec.parse("purchase:sum:amount,purchase:min:amount,purchase:max:amount");

  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  /**
   * JUnit 4 tests are outside the root pom's 5-minute JUnit 5 default (junit.timeouts): the same
   * bound here, so a pipeline that never finishes fails the build instead of hanging it.
   */
  @Rule public final transient Timeout timeout = Timeout.seconds(300);

  /** Key of a combined interval in assertions. */
  private record Interval(String series, Resolution resolution, Instant start) {}

  /**
   * Two panes: the first has on-time events of two customers, a duplicate and an early event twenty
   * minutes ahead of the watermark; after the watermark moves two hours on, the second has an event
   * two hours late for 10:00 and the duplicate again. The late event adds a second row to 10:00
   * instead of being dropped, the duplicates count once, and combining rows per interval gives
   * exact totals at both resolutions.
   */
  @Test
  public void lateAndEarlyEventsAddRowsAndDuplicatesCountOnce() {
    lateAndEarlyEvents(new ComputeRollups(SPEC, FLUSH, "salt"));
  }

  /**
   * The same scenario with series combined on three keys and pre-aggregated per bundle, as the
   * local stack runs it: the same rows, totals and catalog.
   */
  @Test
  public void seriesShardsGiveTheSameRows() {
    lateAndEarlyEvents(new ComputeRollups(SPEC, FLUSH, "salt").withSeriesShards(3));
  }

  private void lateAndEarlyEvents(ComputeRollups computeRollups) {
    Event e1 =
        event("e1", "purchase", "acme", T0.plusSeconds(10)).putAttributes("amount", num(5)).build();
    Event e2 =
        event("e2", "purchase", "globex", T0.plusSeconds(20))
            .putAttributes("amount", num(7.5))
            .build();
    Event e3 =
        event("e3", "purchase", "acme", T0.plusSeconds(65)).putAttributes("amount", num(2)).build();
    Event early =
        event("e4", "purchase", "acme", T0.plusSeconds(20 * 60))
            .putAttributes("amount", num(1))
            .build();
    Event late =
        event("e5", "purchase", "acme", T0.plusSeconds(50)).putAttributes("amount", num(3)).build();
    Event e1Again = e1.toBuilder().putAttributes("amount", num(1000)).build();

    TestStream<Event> events =
        TestStream.create(ProtoCoder.of(Event.class))
            .advanceWatermarkTo(joda(T0))
            .addElements(at(e1), at(e2), at(e3), at(e1Again), at(early))
            .advanceProcessingTime(FLUSH.plus(Duration.millis(1)))
            .advanceWatermarkTo(joda(T0.plusSeconds(2 * 3600)))
            .addElements(at(late), at(e1Again))
            .advanceProcessingTime(FLUSH.plus(Duration.millis(1)))
            .advanceWatermarkToInfinity();

    PCollectionTuple out =
        pipeline
            .apply(events)
            .apply("Dedup", RollupsPipeline.deduplicate(Duration.standardMinutes(10)))
            .apply(computeRollups);

    PAssert.that(out.get(ComputeRollups.ROWS))
        .satisfies(
            rows -> {
              Map<Interval, double[]> combined = combine(rows);
              long m0 = 0;
              assertThat(total(combined, "purchase.count", Resolution.MINUTE, m0))
                  .containsExactly(3, 3);
              assertThat(total(combined, "purchase.count", Resolution.MINUTE, 60))
                  .containsExactly(1, 1);
              assertThat(total(combined, "purchase.count", Resolution.MINUTE, 1200))
                  .containsExactly(1, 1);
              assertThat(total(combined, "purchase.acme.count", Resolution.MINUTE, m0))
                  .containsExactly(2, 2);
              assertThat(total(combined, "purchase.globex.count", Resolution.MINUTE, m0))
                  .containsExactly(1, 1);
              assertThat(total(combined, "purchase.amount.sum", Resolution.MINUTE, m0))
                  .containsExactly(15.5, 3);
              assertThat(total(combined, "purchase.amount.min", Resolution.MINUTE, m0))
                  .containsExactly(3, 3);
              assertThat(total(combined, "purchase.amount.max", Resolution.MINUTE, m0))
                  .containsExactly(7.5, 3);
              assertThat(total(combined, "purchase.acme.amount.sum", Resolution.MINUTE, m0))
                  .containsExactly(8, 2);
              assertThat(total(combined, "purchase.count", Resolution.QUARTER_HOUR, m0))
                  .containsExactly(4, 4);
              assertThat(total(combined, "purchase.count", Resolution.QUARTER_HOUR, 900))
                  .containsExactly(1, 1);
              assertThat(total(combined, "purchase.amount.sum", Resolution.QUARTER_HOUR, m0))
                  .containsExactly(17.5, 4);
              assertThat(total(combined, "purchase.acme.amount.max", Resolution.QUARTER_HOUR, 900))
                  .containsExactly(1, 1);

              // The late event is a second row for 10:00, from a later pane with its own id.
              List<IntervalRow> acme1000 = new ArrayList<>();
              Set<List<Object>> keys = new HashSet<>();
              for (IntervalRow row : rows) {
                if (row.series().equals("purchase.acme.count")
                    && row.resolution() == Resolution.MINUTE
                    && row.intervalStart().equals(T0)) {
                  acme1000.add(row);
                }
                assertThat(
                        keys.add(
                            List.of(
                                row.series(), row.resolution(), row.intervalStart(), row.rowId())))
                    .as("primary key of %s is unique", row)
                    .isTrue();
              }
              assertThat(acme1000).hasSize(2);
              assertThat(acme1000)
                  .extracting(IntervalRow::value)
                  .containsExactlyInAnyOrder(1.0, 1.0);
              return null;
            });

    PAssert.that(out.get(ComputeRollups.CATALOG))
        .satisfies(
            updates -> {
              Instant first = Instant.MAX;
              Instant last = Instant.MIN;
              for (SeriesInfo u : updates) {
                if (u.name().equals("purchase.acme.count")) {
                  first = u.firstSeen().isBefore(first) ? u.firstSeen() : first;
                  last = u.lastSeen().isAfter(last) ? u.lastSeen() : last;
                }
                if (u.name().equals("purchase.amount.min")) {
                  assertThat(u.function()).isEqualTo(AggregateFunction.MIN);
                }
              }
              assertThat(first).isEqualTo(T0);
              assertThat(last).isEqualTo(T0.plusSeconds(1200));
              return null;
            });

    pipeline.run().waitUntilFinish();
  }

  /** Rebuilding the rows of the same pane (a retried bundle) gives the same primary keys. */
  @Test
  public void samePaneGivesSameRowIds() {
    IntervalAccumulator acc = new IntervalAccumulator();
    acc.add(AggregateFunction.SUM, T0.getEpochSecond(), 2);
    acc.add(AggregateFunction.SUM, T0.getEpochSecond() + 960, 3);
    IntervalAccumulator.RowIdFunction pane7 =
        (s, r, start) -> RowIds.rowId("salt", s, r, start, Long.MAX_VALUE, 7);
    IntervalAccumulator.RowIdFunction pane8 =
        (s, r, start) -> RowIds.rowId("salt", s, r, start, Long.MAX_VALUE, 8);
    IntervalAccumulator.RowIdFunction otherLaunch =
        (s, r, start) -> RowIds.rowId("other", s, r, start, Long.MAX_VALUE, 7);

    List<IntervalRow> first = acc.rows("a.count", pane7);
    assertThat(acc.rows("a.count", pane7)).isEqualTo(first);
    assertThat(acc.rows("a.count", pane8))
        .extracting(IntervalRow::rowId)
        .doesNotContainAnyElementsOf(first.stream().map(IntervalRow::rowId).toList());
    assertThat(acc.rows("a.count", otherLaunch))
        .extracting(IntervalRow::rowId)
        .doesNotContainAnyElementsOf(first.stream().map(IntervalRow::rowId).toList());
  }

  private static Map<Interval, double[]> combine(Iterable<IntervalRow> rows) {
    Map<Interval, double[]> combined = new HashMap<>();
    for (IntervalRow row : rows) {
      AggregateFunction fn = function(row.series());
      combined.merge(
          new Interval(row.series(), row.resolution(), row.intervalStart()),
          new double[] {row.value(), row.eventCount()},
          (a, b) -> new double[] {fn.combine(a[0], b[0]), a[1] + b[1]});
    }
    return combined;
  }

  private static double[] total(
      Map<Interval, double[]> combined, String series, Resolution resolution, long offset) {
    double[] t = combined.get(new Interval(series, resolution, T0.plusSeconds(offset)));
    assertThat(t).as("%s %s +%ss", series, resolution, offset).isNotNull();
    return t;
  }

  private static AggregateFunction function(String series) {
    if (series.endsWith(".min")) {
      return AggregateFunction.MIN;
    }
    if (series.endsWith(".max")) {
      return AggregateFunction.MAX;
    }
    return AggregateFunction.SUM;
  }

  private static TimestampedValue<Event> at(Event e) {
    return TimestampedValue.of(
        e, org.joda.time.Instant.ofEpochMilli(e.getTimestamp().getSeconds() * 1000));
  }

  private static org.joda.time.Instant joda(Instant instant) {
    return org.joda.time.Instant.ofEpochMilli(instant.toEpochMilli());
  }
}
