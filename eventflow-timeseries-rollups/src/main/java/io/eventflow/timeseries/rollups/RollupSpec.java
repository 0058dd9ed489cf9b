package io.eventflow.timeseries.rollups;

import io.eventflow.timeseries.store.AggregateFunction;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The custom rollups of the job, parsed from the {@code --rollups} option.
 *
 * <p>Syntax: entries separated by {@code ,}; each entry is {@code TYPE:FUNC:ATTRIBUTE}; spaces
 * around entries and around each part are ignored; FUNC is {@code sum}, {@code min} or {@code max}
 * (lower case); TYPE and ATTRIBUTE are the event type and attribute key exactly as events carry
 * them, non-empty, without {@code ,} or {@code :}. An empty or blank spec means no custom rollups.
 * Empty entries (e.g. a trailing comma) and repeated entries are errors: a repeated entry would
 * count every value twice.
 *
 * @param rules the parsed entries, in spec order
 */
public record RollupSpec(List<Rule> rules) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One custom rollup: aggregate an attribute of one event type with a function. */
  public record Rule(String type, AggregateFunction function, String attribute)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public String toString() {
      return type + ":" + function.name().toLowerCase(Locale.ROOT) + ":" + attribute;
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
    if (parts.length != 3) {
      throw bad(position, entry, "must be TYPE:FUNC:ATTRIBUTE (three parts separated by ':')");
    }
    String type = parts[0].strip();
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
    return new Rule(type, function, attribute);
  }

  private static IllegalArgumentException bad(int position, String entry, String problem) {
    return new IllegalArgumentException(
        "rollup spec entry " + position + " \"" + entry + "\" " + problem);
  }
}
