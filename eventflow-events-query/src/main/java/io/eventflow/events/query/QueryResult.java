package io.eventflow.events.query;

import java.util.List;

/**
 * The rows of an answered {@link EventQuery}, ready to print ({@link ResultFormat}): a sample's
 * columns are {@code start} and one per aggregate; a listing's are {@code timestamp}, the event
 * columns and {@code attributes}. Values are {@link java.time.Instant}, {@link String}, {@link
 * Long}, {@link Double}, {@link Boolean}, a {@code Map<String, Object>} of attributes, or null.
 *
 * @param columns the column names
 * @param rows the rows, each as long as {@code columns}
 */
public record QueryResult(List<String> columns, List<List<Object>> rows) {
  /** Copies both lists (rows may hold nulls, so each row is kept as given). */
  public QueryResult {
    columns = List.copyOf(columns);
    rows = List.copyOf(rows);
  }
}
