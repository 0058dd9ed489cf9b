package io.eventflow.timeseries.rollups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.Resolution;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-minute partial aggregates of one pane and the rows they become. */
class IntervalAccumulatorTest {
  private static final long T0 = Instant.parse("2025-03-01T10:00:00Z").getEpochSecond();

  @Test
  void valuesCombineWithTheSeriesFunctionPerMinute() {
    IntervalAccumulator max = new IntervalAccumulator();
    max.add(AggregateFunction.MAX, T0, 3);
    max.add(AggregateFunction.MAX, T0, 9);
    max.add(AggregateFunction.MAX, T0 + 60, 1);
    max.add(AggregateFunction.MAX, T0, 4);

    assertThat(max.size()).isEqualTo(2);
    assertThat(max.value(0)).isEqualTo(9);
    assertThat(max.count(0)).isEqualTo(3);
    assertThat(max.value(1)).isEqualTo(1);
  }

  @Test
  void mixingFunctionsInOneSeriesIsAnError() {
    IntervalAccumulator acc = new IntervalAccumulator();
    acc.add(AggregateFunction.SUM, T0, 1);
    assertThatThrownBy(() -> acc.add(AggregateFunction.MIN, T0, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void mergingEqualsAddingEverythingToOne() {
    IntervalAccumulator a = new IntervalAccumulator();
    IntervalAccumulator b = new IntervalAccumulator();
    IntervalAccumulator all = new IntervalAccumulator();
    for (int i = 0; i < 100; i++) {
      long minute = T0 + 60L * (i % 37);
      (i % 2 == 0 ? a : b).add(AggregateFunction.SUM, minute, i);
      all.add(AggregateFunction.SUM, minute, i);
    }
    IntervalAccumulator merged = new CombineIntervalsFn().mergeAccumulators(List.of(a, b));
    assertThat(merged).isEqualTo(all);
    assertThat(merged.size()).isEqualTo(37);
  }

  @Test
  void rowsHaveMinutesAndQuarterHoursThatAreExactSums() {
    IntervalAccumulator acc = new IntervalAccumulator();
    acc.add(AggregateFunction.SUM, T0 + 14 * 60, 2); // 10:14 -> quarter 10:00
    acc.add(AggregateFunction.SUM, T0, 5); // 10:00 -> quarter 10:00
    acc.add(AggregateFunction.SUM, T0 + 15 * 60, 7); // 10:15 -> quarter 10:15
    acc.add(AggregateFunction.SUM, T0, 1);

    List<IntervalRow> rows =
        acc.rows("s", (series, resolution, start) -> start + resolution.seconds());

    assertThat(rows)
        .containsExactly(
            new IntervalRow(
                "s", Resolution.MINUTE, Instant.ofEpochSecond(T0 + 840), T0 + 900, 2, 1),
            new IntervalRow("s", Resolution.MINUTE, Instant.ofEpochSecond(T0), T0 + 60, 6, 2),
            new IntervalRow(
                "s", Resolution.MINUTE, Instant.ofEpochSecond(T0 + 900), T0 + 960, 7, 1),
            new IntervalRow(
                "s", Resolution.QUARTER_HOUR, Instant.ofEpochSecond(T0), T0 + 900, 8, 3),
            new IntervalRow(
                "s", Resolution.QUARTER_HOUR, Instant.ofEpochSecond(T0 + 900), T0 + 1800, 7, 1));
  }

  @Test
  void backfillOfManyMinutesKeepsEveryMinuteApart() {
    IntervalAccumulator acc = new IntervalAccumulator();
    for (int round = 0; round < 3; round++) {
      for (int m = 0; m < 500; m++) {
        acc.add(AggregateFunction.MIN, T0 + 60L * m, m - round);
      }
    }
    assertThat(acc.size()).isEqualTo(500);
    assertThat(acc.value(499)).isEqualTo(497);
    assertThat(acc.count(0)).isEqualTo(3);
  }

  @Test
  void coderRoundTripsAccumulators() throws IOException {
    IntervalAccumulator acc = new IntervalAccumulator();
    acc.add(AggregateFunction.MAX, T0, -3.5);
    acc.add(AggregateFunction.MAX, T0 - 60, 1e300, 7);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RollupCoders.IntervalAccumulatorCoder.of().encode(acc, out);
    IntervalAccumulator decoded =
        RollupCoders.IntervalAccumulatorCoder.of()
            .decode(new ByteArrayInputStream(out.toByteArray()));
    assertThat(decoded).isEqualTo(acc);

    ByteArrayOutputStream empty = new ByteArrayOutputStream();
    RollupCoders.IntervalAccumulatorCoder.of().encode(new IntervalAccumulator(), empty);
    assertThat(
            RollupCoders.IntervalAccumulatorCoder.of()
                .decode(new ByteArrayInputStream(empty.toByteArray()))
                .size())
        .isZero();
  }
}
