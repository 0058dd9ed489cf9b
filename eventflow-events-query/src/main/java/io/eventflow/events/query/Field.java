package io.eventflow.events.query;

import java.util.List;

/**
 * A field of an event as a where-clause or an aggregate names it: one of the event's own columns
 * ({@link #COLUMNS}) or, for any other name, the attribute with that key.
 *
 * @param name the column name or attribute key
 */
public record Field(String name) {
  /** The string columns of the events table; every other name is an attribute key. */
  public static final List<String> COLUMNS = List.of("id", "type", "source", "customer");

  /** Returns whether this field is a column of the events table rather than an attribute. */
  public boolean isColumn() {
    return COLUMNS.contains(name);
  }

  @Override
  public String toString() {
    return name;
  }
}
