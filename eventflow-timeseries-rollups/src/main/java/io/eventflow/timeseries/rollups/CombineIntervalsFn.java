package io.eventflow.timeseries.rollups;

import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/** Combines the points of one series in one pane into per-minute partial aggregates. */
public final class CombineIntervalsFn
    extends CombineFn<RollupPoint, IntervalAccumulator, IntervalAccumulator> {
  private static final long serialVersionUID = 1L;

  @Override
  public IntervalAccumulator createAccumulator() {
    return new IntervalAccumulator();
  }

  @Override
  public IntervalAccumulator addInput(IntervalAccumulator acc, RollupPoint point) {
    acc.add(point.function(), point.minuteStart(), point.value());
    return acc;
  }

  @Override
  public IntervalAccumulator mergeAccumulators(Iterable<IntervalAccumulator> accumulators) {
    IntervalAccumulator merged = new IntervalAccumulator();
    for (IntervalAccumulator acc : accumulators) {
      merged.merge(acc);
    }
    return merged;
  }

  @Override
  public IntervalAccumulator extractOutput(IntervalAccumulator acc) {
    return acc;
  }

  @Override
  public Coder<IntervalAccumulator> getAccumulatorCoder(
      CoderRegistry registry, Coder<RollupPoint> inputCoder) throws CannotProvideCoderException {
    return RollupCoders.IntervalAccumulatorCoder.of();
  }

  @Override
  public Coder<IntervalAccumulator> getDefaultOutputCoder(
      CoderRegistry registry, Coder<RollupPoint> inputCoder) throws CannotProvideCoderException {
    return RollupCoders.IntervalAccumulatorCoder.of();
  }
}
