package io.eventflow.events.query;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A statement and its parameters, in the order of their numbers: what {@code --dry-run} prints and
 * what a store runs. Every value a user typed is a parameter; the text holds only fixed SQL, fixed
 * column names and placeholders.
 *
 * @param text the statement
 * @param parameters its parameters; the i-th is {@code $i+1} (DuckDB) or {@code @p<i>} (BigQuery)
 * @param nothingToRead whether the source is known to be empty (no archive file in range), so the
 *     statement need not run
 */
public record GeneratedSql(String text, List<Parameter> parameters, boolean nothingToRead) {
  /** Copies the parameters. */
  public GeneratedSql {
    parameters = List.copyOf(parameters);
  }

  /** The types a parameter takes, named as BigQuery names them. */
  public enum Type {
    /** A {@link String}. */
    STRING,
    /** A {@link Double}. */
    FLOAT64,
    /** A {@link Boolean}. */
    BOOL,
    /** An {@link Instant}. */
    TIMESTAMP,
    /** A {@code long[]}. */
    ARRAY_INT64,
    /** A {@code List<String>}. */
    ARRAY_STRING
  }

  /**
   * One parameter.
   *
   * @param name its name in BigQuery ({@code p0}, {@code p1}, …)
   * @param type its type
   * @param value its value, of the type's Java class
   */
  public record Parameter(String name, Type type, Object value) {
    /** Returns the value as {@code --dry-run} prints it. */
    public String describe() {
      if (value instanceof long[] array) {
        return array.length <= 8
            ? Arrays.toString(array)
            : "["
                + array[0]
                + ", "
                + array[1]
                + ", … "
                + array[array.length - 1]
                + "] ("
                + array.length
                + " values)";
      }
      if (value instanceof List<?> list && list.size() > 8) {
        return "["
            + list.get(0)
            + ", … "
            + list.get(list.size() - 1)
            + "] ("
            + list.size()
            + " values)";
      }
      if (value instanceof String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
      }
      return String.valueOf(value);
    }
  }

  /** Returns the statement followed by one comment line per parameter: {@code --dry-run}. */
  public String describe(SqlDialect dialect) {
    StringBuilder out = new StringBuilder(text).append('\n');
    for (int i = 0; i < parameters.size(); i++) {
      Parameter p = parameters.get(i);
      out.append("-- ")
          .append(dialect.placeholder(i))
          .append(' ')
          .append(p.type())
          .append(' ')
          .append(p.describe())
          .append('\n');
    }
    return out.toString();
  }

  /**
   * Collects parameters while a statement is written; each {@link #add} returns its placeholder.
   */
  public static final class Parameters {
    private final SqlDialect dialect;
    private final List<Parameter> values = new ArrayList<>();

    /** Creates an empty list for {@code dialect}'s placeholders. */
    public Parameters(SqlDialect dialect) {
      this.dialect = dialect;
    }

    /** Adds a parameter and returns its placeholder. */
    public String add(Type type, Object value) {
      int index = values.size();
      values.add(new Parameter("p" + index, type, value));
      return dialect.placeholder(index);
    }

    /** Returns the parameters added so far. */
    public List<Parameter> values() {
      return values;
    }
  }
}
