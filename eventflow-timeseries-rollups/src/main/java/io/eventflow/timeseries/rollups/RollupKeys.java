package io.eventflow.timeseries.rollups;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
import java.util.concurrent.Executor;
import org.checkerframework.checker.nullness.qual.Nullable;

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

  private final Map<String, DimensionRule[]> dimensionRulesByType;

  /**
   * The default bound on values per dimension: each value costs a series per rule (and its rows
   * every minute it is seen), so 1,000 values of {@code plan} stay a few thousand series, while a
   * dimension that turns out to be an id cannot grow the store without bound.
   */
  public static final int DEFAULT_MAX_DIMENSION_VALUES = 1_000;

  /** The value under which the values past the bound are counted. */
  public static final String OTHER = "__other__";

  private final int maxDimensionValues;

  /**
   * A rule split by a dimension. The first {@code maxDimensionValues} distinct values of the
   * dimension get their own series; later ones go to {@link #OTHER}'s. Admission is per dimension
   * (event type and attribute), not per rule, so every rule split by {@code plan} admits the same
   * plans: {@code purchase.plan=gold.count} and {@code purchase.plan=gold.amount.sum} both exist or
   * both count under {@code __other__}, whichever thread saw a value first. The admitted values
   * live in this process (rebuilt after a restart).
   */
  private static final class DimensionRule implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * The admitted values of every dimension in this JVM, by dimension id: a runner deserializes
     * one copy of the rules per DoFn instance (thread), and the bound is per worker process, not
     * per thread or per rule.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, java.util.Set<String>>
        ADMITTED = new java.util.concurrent.ConcurrentHashMap<>();

    final RollupSpec.Rule rule;
    final String otherSeries;

    /** Names this dimension (type and attribute) of this job: the same in every copy. */
    private final String dimensionId;

    /** This copy's series names of admitted values: at most the bound's worth. */
    private transient java.util.concurrent.@Nullable ConcurrentHashMap<String, String> names;

    DimensionRule(RollupSpec.Rule rule, String dimensionId) {
      this.rule = rule;
      this.dimensionId = dimensionId;
      this.otherSeries = seriesOf(rule, OTHER);
    }

    static String seriesOf(RollupSpec.Rule rule, String value) {
      return rule.isCount()
          ? SeriesNames.countBy(rule.type(), rule.by(), value)
          : SeriesNames.rollupBy(rule.type(), rule.by(), value, rule.attribute(), rule.function());
    }

    /** Returns the series of a value: its own while under the bound, else {@link #OTHER}'s. */
    String series(String value, int max) {
      java.util.concurrent.ConcurrentHashMap<String, String> mine = names;
      if (mine == null) {
        mine = new java.util.concurrent.ConcurrentHashMap<>();
        names = mine;
      }
      String series = mine.get(value);
      if (series != null) {
        return series;
      }
      java.util.Set<String> admitted =
          ADMITTED.computeIfAbsent(
              dimensionId, k -> java.util.concurrent.ConcurrentHashMap.newKeySet());
      if (!admitted.contains(value)) {
        synchronized (admitted) {
          if (!admitted.contains(value)) {
            if (admitted.size() >= max) {
              return otherSeries;
            }
            admitted.add(value);
          }
        }
      }
      series = seriesOf(rule, value);
      mine.put(value, series);
      return series;
    }
  }

  /**
   * Series names by type and customer ("" for none): the count series, the customer's count series,
   * then each rule's customer series. Building and escaping them for every event was most of the
   * extraction's cost; a busy stream repeats the same few thousand pairs. Bounded at {@link
   * #MAX_CACHED_PAIRS} by Caffeine's size eviction (least valuable pairs first), so a stream of
   * ever-new customers stays bounded. Created on first use, also after deserialization on a worker.
   */
  private transient volatile @Nullable Cache<NameKey, String[]> names;

  /** A cache key: an event type and its customer ("" for none). */
  record NameKey(String type, String customer) {}

  /** The most (type, customer) pairs whose series names are kept. */
  static final int MAX_CACHED_PAIRS = 100_000;

  /** Compiles the rules of a spec for lookup by event type, with the default dimension bound. */
  public RollupKeys(RollupSpec spec) {
    this(spec, DEFAULT_MAX_DIMENSION_VALUES);
  }

  /** Compiles the rules of a spec, at most {@code maxDimensionValues} values per dimension rule. */
  public RollupKeys(RollupSpec spec, int maxDimensionValues) {
    this.maxDimensionValues = maxDimensionValues;
    Map<String, List<DimensionRule>> dimensioned = new HashMap<>();
    Map<String, List<CompiledRule>> byType = new HashMap<>();
    // One id per (type, dimension) of this job, so its rules share one admitted set.
    Map<List<String>, String> dimensionIds = new HashMap<>();
    for (RollupSpec.Rule rule : spec.rules()) {
      if (rule.by() != null) {
        String dimensionId =
            dimensionIds.computeIfAbsent(
                List.of(rule.type(), rule.by()), k -> java.util.UUID.randomUUID().toString());
        dimensioned
            .computeIfAbsent(rule.type(), t -> new ArrayList<>())
            .add(new DimensionRule(rule, dimensionId));
        continue;
      }
      byType
          .computeIfAbsent(rule.type(), t -> new ArrayList<>())
          .add(
              new CompiledRule(
                  rule, SeriesNames.rollup(rule.type(), null, rule.attribute(), rule.function())));
    }
    Map<String, CompiledRule[]> compiled = new HashMap<>();
    byType.forEach((type, rules) -> compiled.put(type, rules.toArray(new CompiledRule[0])));
    this.rulesByType = compiled;
    Map<String, DimensionRule[]> dimensionRules = new HashMap<>();
    dimensioned.forEach(
        (type, rules) -> dimensionRules.put(type, rules.toArray(new DimensionRule[0])));
    this.dimensionRulesByType = dimensionRules;
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
    CompiledRule[] rules = rulesByType.get(type);
    String[] series = names(type, customer, rules);
    int skipped = 0;
    skipped += emit(sink, series[0], AggregateFunction.SUM, minute, 1);
    if (customer != null) {
      skipped += emit(sink, series[1], AggregateFunction.SUM, minute, 1);
    }
    Map<String, AttributeValue> attributes = event.getAttributesMap();
    DimensionRule[] dimensionRules = dimensionRulesByType.get(type);
    if (dimensionRules != null) {
      skipped += extractByDimension(event, dimensionRules, minute, sink);
    }
    if (rules == null) {
      return skipped;
    }
    for (int i = 0; i < rules.length; i++) {
      CompiledRule compiled = rules[i];
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
        skipped += emit(sink, series[2 + i], rule.function(), minute, v);
      }
    }
    return skipped;
  }

  /**
   * Sends the points of the rules split by a dimension. The dimension's value is the event's own
   * attribute, else the one enrichment attached; as text ({@code AttributeValues.toText}). An event
   * without it adds nothing to that rule.
   */
  private int extractByDimension(
      Event event, DimensionRule[] dimensionRules, long minute, PointSink sink) {
    int skipped = 0;
    for (DimensionRule d : dimensionRules) {
      RollupSpec.Rule rule = d.rule;
      AttributeValue dimension = event.getAttributesMap().get(rule.by());
      if (dimension == null && event.hasEnrichment()) {
        dimension = event.getEnrichment().getAttributesMap().get(rule.by());
      }
      if (dimension == null) {
        continue;
      }
      double v = 1;
      if (!rule.isCount()) {
        AttributeValue raw = event.getAttributesMap().get(rule.attribute());
        if (raw == null) {
          continue;
        }
        OptionalDouble value = AttributeValues.numericValue(raw);
        if (value.isEmpty() || !Double.isFinite(value.getAsDouble())) {
          skipped++;
          continue;
        }
        v = value.getAsDouble();
      }
      String series = d.series(AttributeValues.toText(dimension), maxDimensionValues);
      skipped += emit(sink, series, rule.function(), minute, v);
    }
    return skipped;
  }

  /** The series names of a (type, customer) pair, from the cache or built and cached. */
  private String[] names(String type, @Nullable String customer, CompiledRule @Nullable [] rules) {
    return cache()
        .get(
            new NameKey(type, customer == null ? "" : customer),
            key -> buildNames(type, customer, rules));
  }

  /** Returns the name cache, creating it on first use. */
  Cache<NameKey, String[]> cache() {
    Cache<NameKey, String[]> cache = names;
    if (cache == null) {
      synchronized (this) {
        cache = names;
        if (cache == null) {
          cache = newCache(Runnable::run);
          names = cache;
        }
      }
    }
    return cache;
  }

  /**
   * A name cache whose maintenance (eviction) runs on {@code executor}. The calling thread ({@code
   * Runnable::run}): a DoFn thread does the little eviction work itself, instead of handing it to
   * the common pool that the runner's own threads may be using.
   */
  static Cache<NameKey, String[]> newCache(Executor executor) {
    return Caffeine.newBuilder().maximumSize(MAX_CACHED_PAIRS).executor(executor).build();
  }

  private static String[] buildNames(
      String type, @Nullable String customer, CompiledRule @Nullable [] rules) {
    int ruleCount = rules == null ? 0 : rules.length;
    String[] built = new String[customer == null ? 1 : 2 + ruleCount];
    built[0] = SeriesNames.count(type, null);
    if (customer != null) {
      built[1] = SeriesNames.count(type, customer);
      for (int i = 0; i < ruleCount; i++) {
        RollupSpec.Rule rule = rules[i].rule();
        built[2 + i] = SeriesNames.rollup(type, customer, rule.attribute(), rule.function());
      }
    }
    return built;
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
