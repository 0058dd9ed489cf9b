package io.eventflow.timeseries.rollups;

import io.eventflow.timeseries.store.AggregateFunction;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The custom rollups of the job, parsed from the {@code --rollups} option.
 *
 * <p>Syntax: entries separated by {@code ,}; each entry is {@code TYPE:FUNC:ATTRIBUTE}, optionally
 * followed by {@code :by=DIMENSION}, or {@code TYPE:count:by=DIMENSION}; spaces around entries and
 * around each part are ignored; FUNC is {@code sum}, {@code min} or {@code max} (lower case); TYPE,
 * ATTRIBUTE and DIMENSION are the event type and attribute keys exactly as events carry them (a
 * dimension may also be an attribute enrichment attached), non-empty, without {@code ,} or {@code
 * :}. An empty or blank spec means no custom rollups. Empty entries (e.g. a trailing comma) and
 * repeated entries are errors: a repeated entry would count every value twice. {@code TYPE:count}
 * without {@code by=} is an error: every type has its count series already.
 *
 * @param rules the parsed entries, in spec order
 */
public record RollupSpec(List<Rule> rules) implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * One custom rollup: aggregate an attribute of one event type with a function, or count the
   * events, optionally one series per value of a dimension.
   *
   * @param type the event type
   * @param function how values combine ({@code SUM} for counts)
   * @param attribute the attribute aggregated; null for a count
   * @param by the dimension whose values split the series; null for none
   */
  public record Rule(
      String type, AggregateFunction function, @Nullable String attribute, @Nullable String by)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A rule without a dimension. */
    public Rule(String type, AggregateFunction function, String attribute) {
      this(type, function, attribute, null);
    }

    /** Returns whether the rule counts events instead of aggregating an attribute. */
    public boolean isCount() {
      return attribute == null;
    }

    @Override
    public String toString() {
      String head =
          type
              + ":"
              + (isCount() ? "count" : function.name().toLowerCase(Locale.ROOT) + ":" + attribute);
      return by == null ? head : head + ":by=" + by;
    }
  }

  /** Copies the rules. */
  public RollupSpec {
    rules = List.copyOf(rules);
  }

  /**
   * Parses a spec.
   *
   * @throws IllegalArgumentException naming the first bad entry (1-based position and text)
   */
  public static RollupSpec parse(String spec) {
    if (spec.isBlank()) {
      return new RollupSpec(List.of());
    }
    List<Rule> rules = new ArrayList<>();
    Set<Rule> seen = new HashSet<>();
    String[] entries = spec.split(",", -1);
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].strip();
      Rule rule = parseEntry(i + 1, entry);
      if (!seen.add(rule)) {
        throw bad(i + 1, entry, "repeats an earlier entry (its values would be counted twice)");
      }
      rules.add(rule);
    }
    return new RollupSpec(rules);
  }

  private static Rule parseEntry(int position, String entry) {
    if (entry.isEmpty()) {
      throw bad(position, entry, "is empty");
    }
    String[] parts = entry.split(":", -1);
    String by = null;
    int last = parts.length - 1;
    String tail = parts[last].strip();
    if (parts.length >= 3 && tail.startsWith("by") && tail.substring(2).strip().startsWith("=")) {
      by = tail.substring(tail.indexOf('=') + 1).strip();
      if (by.isEmpty()) {
        throw bad(position, entry, "has an empty dimension after by=");
      }
      parts = Arrays.copyOf(parts, last);
    }
    String type = parts[0].strip();
    if (parts.length == 2 && parts[1].strip().equals("count")) {
      if (type.isEmpty()) {
        throw bad(position, entry, "has an empty event type");
      }
      if (by == null) {
        throw bad(
            position,
            entry,
            "counts without by=DIMENSION; TYPE.count exists for every type already");
      }
      return new Rule(type, AggregateFunction.SUM, null, by);
    }
    if (parts.length != 3) {
      throw bad(
          position,
          entry,
          "must be TYPE:FUNC:ATTRIBUTE[:by=DIMENSION] or TYPE:count:by=DIMENSION"
              + " (parts separated by ':')");
    }
    String func = parts[1].strip();
    String attribute = parts[2].strip();
    if (type.isEmpty()) {
      throw bad(position, entry, "has an empty event type");
    }
    if (attribute.isEmpty()) {
      throw bad(position, entry, "has an empty attribute");
    }
    AggregateFunction function =
        switch (func) {
          case "sum" -> AggregateFunction.SUM;
          case "min" -> AggregateFunction.MIN;
          case "max" -> AggregateFunction.MAX;
          default ->
              throw bad(position, entry, "has function \"" + func + "\"; use sum, min or max");
        };
    return new Rule(type, function, attribute, by);
  }

  private static IllegalArgumentException bad(int position, String entry, String problem) {
    return new IllegalArgumentException(
        "rollup spec entry " + position + " \"" + entry + "\" " + problem);
  }
}
