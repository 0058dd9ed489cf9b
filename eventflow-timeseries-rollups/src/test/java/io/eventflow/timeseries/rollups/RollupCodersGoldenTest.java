package io.eventflow.timeseries.rollups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.timeseries.rollups.RollupCoders.IntervalAccumulatorCoder;
import io.eventflow.timeseries.rollups.RollupCoders.IntervalRowCoder;
import io.eventflow.timeseries.rollups.RollupCoders.RollupPointCoder;
import io.eventflow.timeseries.rollups.RollupCoders.SeriesInfoCoder;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.junit.jupiter.api.Test;

/**
 * The coders' bytes, pinned by committed fixtures ({@code src/test/resources/golden/*.bin}).
 *
 * <p>These bytes are the in-flight state of a running job (shuffled points, combine accumulators,
 * rows and catalog updates). A Dataflow {@code --update} hands the old job's bytes to the new job's
 * coders, so a change that moves a byte (an enum constant added or reordered, a field reordered)
 * silently corrupts state. The fixtures were written by the coders as first released; a test that
 * fails here means the change needs a new coder (and a new step name), not a new fixture.
 */
class RollupCodersGoldenTest {
  private static final long MINUTE = Instant.parse("2025-03-01T10:00:00Z").getEpochSecond();
  private static final Instant FIRST = Instant.parse("2025-03-01T10:00:00Z");
  private static final Instant LAST = Instant.parse("2025-03-02T23:59:00Z");

  static List<RollupPoint> points() {
    return List.of(
        new RollupPoint(MINUTE, 1, AggregateFunction.SUM),
        new RollupPoint(MINUTE + 60, -2.5, AggregateFunction.MIN),
        new RollupPoint(MINUTE + 120, 1e300, AggregateFunction.MAX));
  }

  static List<IntervalAccumulator> accumulators() {
    IntervalAccumulator empty = new IntervalAccumulator();
    IntervalAccumulator sum = new IntervalAccumulator();
    sum.add(AggregateFunction.SUM, MINUTE, 3, 2);
    sum.add(AggregateFunction.SUM, MINUTE + 60, 0.5, 300);
    IntervalAccumulator min = new IntervalAccumulator();
    min.add(AggregateFunction.MIN, MINUTE, -7, 1);
    IntervalAccumulator max = new IntervalAccumulator();
    max.add(AggregateFunction.MAX, MINUTE + 600, 12.25, 1L << 40);
    return List.of(empty, sum, min, max);
  }

  static List<IntervalRow> rows() {
    return List.of(
        new IntervalRow(
            "purchase.acme.count", Resolution.MINUTE, FIRST, 0x0123456789abcdefL, 42, 42),
        new IntervalRow(
            "page%2Eview.b%C3%A4r.latency.max",
            Resolution.QUARTER_HOUR, FIRST.plusSeconds(900), -1L, 0.125, 3));
  }

  static List<SeriesInfo> catalog() {
    return List.of(
        new SeriesInfo("purchase.count", AggregateFunction.SUM, FIRST, LAST),
        new SeriesInfo("purchase.amount.min", AggregateFunction.MIN, FIRST, FIRST),
        new SeriesInfo("purchase.amount.max", AggregateFunction.MAX, LAST, LAST));
  }

  @Test
  void rollupPointBytesAreUnchanged() throws IOException {
    assertGolden("rollup-points.bin", RollupPointCoder.of(), points());
  }

  @Test
  void intervalAccumulatorBytesAreUnchanged() throws IOException {
    assertGolden("interval-accumulators.bin", IntervalAccumulatorCoder.of(), accumulators());
  }

  @Test
  void intervalRowBytesAreUnchanged() throws IOException {
    assertGolden("interval-rows.bin", IntervalRowCoder.of(), rows());
  }

  @Test
  void seriesInfoBytesAreUnchanged() throws IOException {
    assertGolden("series-infos.bin", SeriesInfoCoder.of(), catalog());
  }

  /** An id no release wrote is an error naming it, not some other function or an index error. */
  @Test
  void unknownFunctionIdIsAClearError() {
    byte[] bytes = new byte[1 + 8 + 8];
    bytes[0] = 9;
    assertThatThrownBy(() -> RollupPointCoder.of().decode(new ByteArrayInputStream(bytes)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unknown aggregate function id 9");
  }

  private static <T> void assertGolden(String fixture, AtomicCoder<T> coder, List<T> values)
      throws IOException {
    byte[] golden;
    try (InputStream in = RollupCodersGoldenTest.class.getResourceAsStream("/golden/" + fixture)) {
      assertThat(in).as("fixture %s", fixture).isNotNull();
      golden = in.readAllBytes();
    }
    ByteArrayOutputStream encoded = new ByteArrayOutputStream();
    for (T value : values) {
      coder.encode(value, encoded);
    }
    assertThat(encoded.toByteArray()).as("encoding of %s", values).isEqualTo(golden);

    ByteArrayInputStream in = new ByteArrayInputStream(golden);
    List<T> decoded = new ArrayList<>();
    while (in.available() > 0) {
      decoded.add(coder.decode(in));
    }
    assertThat(decoded).isEqualTo(values);
  }
}
