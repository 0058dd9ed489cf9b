package io.eventflow.events.query;

import io.eventflow.timeseries.srv.InvalidQueryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One aggregate of {@code --agg}: {@code count()} counts events; {@code sum}, {@code min}, {@code
 * max} and {@code avg} take a numeric field (an attribute's integer or float value).
 *
 * @param function what to compute
 * @param field the field, or null for {@code count()}
 */
public record Aggregate(Function function, Field field) {
  /** The aggregate functions, by their SQL name (the same in DuckDB and BigQuery). */
  public enum Function {
    /** Number of events. */
    COUNT,
    /** Sum of the field's values. */
    SUM,
    /** Smallest value. */
    MIN,
    /** Largest value. */
    MAX,
    /** Mean value. */
    AVG
  }

  private static final Pattern ONE =
      Pattern.compile("\\s*([A-Za-z]+)\\s*\\(\\s*(`[^`]+`|[A-Za-z_][A-Za-z0-9_.-]*)?\\s*\\)\\s*");

  /** Checks that count has no field and every other function has one. */
  public Aggregate {
    if ((function == Function.COUNT) != (field == null)) {
      throw new IllegalArgumentException("count() takes no field; the others take one");
    }
  }

  /** Returns the output column of this aggregate: {@code count}, {@code sum_amount}. */
  public String column() {
    String name = function.name().toLowerCase(Locale.ROOT);
    return field == null ? name : name + "_" + field.name();
  }

  /**
   * Parses a comma-separated list such as {@code count(), sum(amount), max(amount)}.
   *
   * @throws InvalidQueryException naming the item that is not an aggregate
   */
  public static List<Aggregate> parseList(String text) throws InvalidQueryException {
    List<Aggregate> out = new ArrayList<>();
    for (String item : text.split(",", -1)) {
      Matcher m = ONE.matcher(item);
      if (!m.matches()) {
        throw new InvalidQueryException(
            "bad --agg '"
                + item.trim()
                + "': expected count() or sum, min, max or avg of a field, e.g. sum(amount)");
      }
      Function function;
      try {
        function = Function.valueOf(m.group(1).toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new InvalidQueryException(
            "bad --agg '"
                + item.trim()
                + "': unknown function; expected count, sum, min, max or avg");
      }
      String name = m.group(2);
      if (name != null && name.startsWith("`")) {
        name = name.substring(1, name.length() - 1);
      }
      if ((function == Function.COUNT) != (name == null)) {
        throw new InvalidQueryException(
            "bad --agg '"
                + item.trim()
                + "': "
                + (name == null ? "it needs a field" : "count() counts events and takes no field"));
      }
      Field field = name == null ? null : new Field(name);
      if (field != null && field.isColumn()) {
        throw new InvalidQueryException(
            "bad --agg '" + item.trim() + "': " + name + " is text; aggregate a numeric attribute");
      }
      Aggregate aggregate = new Aggregate(function, field);
      if (out.stream().anyMatch(a -> a.column().equals(aggregate.column()))) {
        throw new InvalidQueryException("bad --agg: " + item.trim() + " appears twice");
      }
      out.add(aggregate);
    }
    return out;
  }
}
