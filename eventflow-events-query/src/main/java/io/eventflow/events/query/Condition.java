package io.eventflow.events.query;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed where-clause ({@link WhereParser}): comparisons of a field with a literal, combined with
 * and, or and not. Literals are strings, doubles or booleans, and reach SQL only as parameters.
 */
public sealed interface Condition {
  /** Both conditions hold. */
  record And(Condition left, Condition right) implements Condition {}

  /** Either condition holds. */
  record Or(Condition left, Condition right) implements Condition {}

  /** The condition does not hold. */
  record Not(Condition operand) implements Condition {}

  /**
   * A field compared with a literal: a {@link String}, a {@link Double} or a {@link Boolean}.
   *
   * @param field the column or attribute
   * @param operator how they compare
   * @param literal the value, never null
   */
  record Comparison(Field field, Operator operator, Object literal) implements Condition {}

  /** The comparison operators, by their SQL spelling (the same in DuckDB and BigQuery). */
  enum Operator {
    /** Equal. */
    EQ("="),
    /** Not equal. */
    NE("!="),
    /** Less than. */
    LT("<"),
    /** Less than or equal. */
    LE("<="),
    /** Greater than. */
    GT(">"),
    /** Greater than or equal. */
    GE(">=");

    private final String sql;

    Operator(String sql) {
      this.sql = sql;
    }

    /** Returns the operator as SQL writes it. */
    public String sql() {
      return sql;
    }
  }

  /** Returns the fields this condition reads, in order of appearance, repeats included. */
  default List<Field> fields() {
    return comparisons().stream().map(Comparison::field).toList();
  }

  /** Returns the comparisons of this condition, in order of appearance. */
  default List<Comparison> comparisons() {
    List<Comparison> out = new ArrayList<>();
    collect(this, out);
    return out;
  }

  private static void collect(Condition condition, List<Comparison> out) {
    if (condition instanceof And and) {
      collect(and.left(), out);
      collect(and.right(), out);
    } else if (condition instanceof Or or) {
      collect(or.left(), out);
      collect(or.right(), out);
    } else if (condition instanceof Not not) {
      collect(not.operand(), out);
    } else {
      out.add((Comparison) condition);
    }
  }
}
