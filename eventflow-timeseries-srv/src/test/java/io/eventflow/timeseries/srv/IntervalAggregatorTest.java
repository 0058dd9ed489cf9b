package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.timeseries.store.AggregateFunction;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class IntervalAggregatorTest {
  private static final long T0 = Instant.parse("2024-01-01T00:00:00Z").getEpochSecond();

  /** Two ten-minute buckets from T0. */
  private static final long[] BOUNDS = {T0, T0 + 600, T0 + 1200};

  /**
   * Two panes wrote minute 0 (3 and 5, 1 and 2 events), one pane minute 1 (4, 1 event), one pane
   * minute 11 (10, 5 events).
   */
  private static Rows panes() {
    return new Rows().add(T0, 3, 1).add(T0, 5, 2).add(T0 + 60, 4, 1).add(T0 + 660, 10, 5);
  }

  private static IntervalAggregator.BucketValues aggregate(
      AggregateFunction series, Aggregation aggregation, boolean fill, Rows rows) {
    IntervalAggregator aggregator = new IntervalAggregator(BOUNDS, series, aggregation);
    aggregator.add(rows.build());
    return aggregator.finish(fill);
  }

  @Test
  void sumOfSumSeriesAddsEveryPartial() {
    IntervalAggregator.BucketValues v =
        aggregate(AggregateFunction.SUM, Aggregation.SUM, false, panes());
    assertThat(v.starts()).containsExactly(T0, T0 + 600);
    assertThat(v.values()).containsExactly(12, 10);
  }

  @Test
  void maxOfSumSeriesIsTheLargestPerMinuteSum() {
    // Minute 0 merges to 3 + 5 = 8, which beats minute 1's 4.
    assertThat(aggregate(AggregateFunction.SUM, Aggregation.MAX, false, panes()).values())
        .containsExactly(8, 10);
  }

  @Test
  void minOfSumSeriesIsTheSmallestPerMinuteSum() {
    assertThat(aggregate(AggregateFunction.SUM, Aggregation.MIN, false, panes()).values())
        .containsExactly(4, 10);
  }

  @Test
  void avgOfSumSeriesIsTheMeanPerEvent() {
    // (3 + 5 + 4) / (1 + 2 + 1) events = 3; 10 / 5 = 2.
    assertThat(aggregate(AggregateFunction.SUM, Aggregation.AVG, false, panes()).values())
        .containsExactly(3, 2);
  }

  @Test
  void avgOfMaxSeriesIsTheMeanOfPerMinuteMaxima() {
    // Minute 0 merges to max(3, 5) = 5, minute 1 is 4: (5 + 4) / 2 minutes.
    assertThat(aggregate(AggregateFunction.MAX, Aggregation.AVG, false, panes()).values())
        .containsExactly(4.5, 10);
  }

  @Test
  void sumOfMinSeriesAddsPerMinuteMinima() {
    // min(3, 5) + 4 = 7.
    assertThat(aggregate(AggregateFunction.MIN, Aggregation.SUM, false, panes()).values())
        .containsExactly(7, 10);
  }

  @Test
  void minOfMinSeriesAndMaxOfMaxSeriesFoldPartials() {
    assertThat(aggregate(AggregateFunction.MIN, Aggregation.MIN, false, panes()).values())
        .containsExactly(3, 10);
    assertThat(aggregate(AggregateFunction.MAX, Aggregation.MAX, false, panes()).values())
        .containsExactly(5, 10);
  }

  @Test
  void emptyBucketsAreOmittedWithoutFill() {
    Rows onlyLate = new Rows().add(T0 + 660, 10, 5);
    IntervalAggregator.BucketValues v =
        aggregate(AggregateFunction.SUM, Aggregation.SUM, false, onlyLate);
    assertThat(v.starts()).containsExactly(T0 + 600);
  }

  @Test
  void fillReturnsZeroForEmptySumBuckets() {
    Rows onlyLate = new Rows().add(T0 + 660, 10, 5);
    IntervalAggregator.BucketValues v =
        aggregate(AggregateFunction.SUM, Aggregation.SUM, true, onlyLate);
    assertThat(v.starts()).containsExactly(T0, T0 + 600);
    assertThat(v.values()).containsExactly(0, 10);
  }

  @Test
  void fillReturnsNaNForEmptyMinMaxAndAvgBuckets() {
    Rows onlyLate = new Rows().add(T0 + 660, 10, 5);
    for (Aggregation a : new Aggregation[] {Aggregation.MIN, Aggregation.MAX, Aggregation.AVG}) {
      IntervalAggregator.BucketValues v = aggregate(AggregateFunction.SUM, a, true, onlyLate);
      assertThat(v.values()[0]).as(a.name()).isNaN();
    }
  }

  @Test
  void aBucketWhoseSumIsZeroStillHasData() {
    Rows cancelling = new Rows().add(T0, 5, 1).add(T0 + 60, -5, 1);
    assertThat(aggregate(AggregateFunction.SUM, Aggregation.SUM, false, cancelling).starts())
        .containsExactly(T0);
  }

  @Test
  void rowsMayArriveInSeveralReads() {
    IntervalAggregator aggregator =
        new IntervalAggregator(BOUNDS, AggregateFunction.SUM, Aggregation.MAX);
    aggregator.add(new Rows().add(T0, 3, 1).build());
    // The same minute continues in the next read: its partials still merge before MAX.
    aggregator.add(new Rows().add(T0, 5, 1).add(T0 + 660, 1, 1).build());
    assertThat(aggregator.finish(false).values()).containsExactly(8, 1);
    assertThat(aggregator.rowsRead()).isEqualTo(3);
  }

  @Test
  void rowsOutOfOrderAreAnError() {
    IntervalAggregator aggregator =
        new IntervalAggregator(BOUNDS, AggregateFunction.SUM, Aggregation.SUM);
    aggregator.add(new Rows().add(T0 + 660, 1, 1).build());
    assertThatThrownBy(() -> aggregator.add(new Rows().add(T0, 1, 1).build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("out of order");
  }

  @Test
  void rowsOutsideTheBoundariesAreAnError() {
    IntervalAggregator aggregator =
        new IntervalAggregator(BOUNDS, AggregateFunction.SUM, Aggregation.SUM);
    assertThatThrownBy(() -> aggregator.add(new Rows().add(T0 + 1200, 1, 1).build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("outside the requested range");
  }
}
