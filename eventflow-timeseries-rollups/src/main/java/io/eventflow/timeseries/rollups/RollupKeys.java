package io.eventflow.timeseries.rollups;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesNames;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Turns one event into the points it contributes to series: plain Java, no Beam, so it can be
 * benchmarked alone (target: 2M events/s per core together with {@link IntervalAccumulator}).
 *
 * <p>Every event adds 1 to {@code TYPE.count} and, if it has a non-empty customer, to {@code
 * TYPE.CUSTOMER.count}; each rule of its type adds the attribute's value to {@code
 * TYPE.ATTRIBUTE.FUNC} and {@code TYPE.CUSTOMER.ATTRIBUTE.FUNC}. So the customer-less series is the
 * total over all customers (and events without one), and per-customer series exist only for
 * customers that were seen. An empty customer string counts as no customer. The interval is the
 * event's own timestamp truncated to the UTC minute.
 *
 * <p>Skipped (and reported through the return value): a rule whose attribute is present but not an
 * int, double or duration, or is NaN or infinite (one such value would poison a sum forever), and
 * any point whose series name is longer than {@link SeriesNames#MAX_LENGTH}. An absent attribute is
 * not a skip: attributes are optional.
 */
public final class RollupKeys implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Receives the points of an event. */
  @FunctionalInterface
  public interface PointSink {
    /** Accepts one value for one series in the minute starting at {@code minuteStart}. */
    void accept(String series, AggregateFunction function, long minuteStart, double value);
  }

  /** A rule with its customer-less series name computed once. */
  private record CompiledRule(RollupSpec.Rule rule, String totalSeries) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  private final Map<String, CompiledRule[]> rulesByType;

  /** Compiles the rules of a spec for lookup by event type. */
  public RollupKeys(RollupSpec spec) {
    Map<String, List<CompiledRule>> byType = new HashMap<>();
    for (RollupSpec.Rule rule : spec.rules()) {
      byType
          .computeIfAbsent(rule.type(), t -> new ArrayList<>())
          .add(
              new CompiledRule(
                  rule, SeriesNames.rollup(rule.type(), null, rule.attribute(), rule.function())));
    }
    Map<String, CompiledRule[]> compiled = new HashMap<>();
    byType.forEach((type, rules) -> compiled.put(type, rules.toArray(new CompiledRule[0])));
    this.rulesByType = compiled;
  }

  /**
   * Sends the points of an event to the sink and returns how many values were skipped (see the
   * class comment).
   */
  public int extract(Event event, PointSink sink) {
    String type = event.getType();
    long minute = Resolution.MINUTE.truncate(event.getTimestamp().getSeconds());
    String customer =
        event.hasCustomer() && !event.getCustomer().getValue().isEmpty()
            ? event.getCustomer().getValue()
            : null;
    int skipped = 0;
    skipped += emit(sink, SeriesNames.count(type, null), AggregateFunction.SUM, minute, 1);
    if (customer != null) {
      skipped += emit(sink, SeriesNames.count(type, customer), AggregateFunction.SUM, minute, 1);
    }
    CompiledRule[] rules = rulesByType.get(type);
    if (rules == null) {
      return skipped;
    }
    Map<String, AttributeValue> attributes = event.getAttributesMap();
    for (CompiledRule compiled : rules) {
      RollupSpec.Rule rule = compiled.rule();
      AttributeValue raw = attributes.get(rule.attribute());
      if (raw == null) {
        continue;
      }
      OptionalDouble value = AttributeValues.numericValue(raw);
      if (value.isEmpty() || !Double.isFinite(value.getAsDouble())) {
        skipped += customer == null ? 1 : 2;
        continue;
      }
      double v = value.getAsDouble();
      skipped += emit(sink, compiled.totalSeries(), rule.function(), minute, v);
      if (customer != null) {
        skipped +=
            emit(
                sink,
                SeriesNames.rollup(type, customer, rule.attribute(), rule.function()),
                rule.function(),
                minute,
                v);
      }
    }
    return skipped;
  }

  private static int emit(
      PointSink sink, String series, AggregateFunction function, long minute, double value) {
    if (series.length() > SeriesNames.MAX_LENGTH) {
      return 1;
    }
    sink.accept(series, function, minute, value);
    return 0;
  }
}
