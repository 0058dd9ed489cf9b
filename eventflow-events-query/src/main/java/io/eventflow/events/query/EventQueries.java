package io.eventflow.events.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers an {@link EventQuery} on an {@link EventStore}: writes the statement ({@link EventSql}),
 * runs it, and turns its rows into a {@link QueryResult}, with a sample's empty buckets filled as
 * asked and a field no event in range has reported as unknown rather than answered with nothing.
 */
public final class EventQueries {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The value columns of an archived attribute, in the events table's order. */
  private static final List<String> VALUE_FIELDS =
      List.of(
          "bool_value",
          "int_value",
          "float_value",
          "string_value",
          "bytes_value",
          "timestamp_value",
          "duration_micros");

  private EventQueries() {}

  /**
   * Returns the statement {@code query} runs on {@code store}, for {@code --dry-run}.
   *
   * @throws InvalidQueryException if the sample would have too many buckets
   * @throws IOException if the store cannot say what it would read
   */
  public static GeneratedSql sql(EventStore store, EventQuery query)
      throws IOException, InvalidQueryException {
    return EventSql.of(store, query);
  }

  /**
   * Answers {@code query}.
   *
   * @throws InvalidQueryException for a field no event of the type in range has, too many buckets,
   *     or a statement the store rejects
   * @throws IOException if the store cannot be read
   */
  public static QueryResult run(EventStore store, EventQuery query)
      throws IOException, InvalidQueryException {
    return query.isSample() ? sample(store, query) : listing(store, query);
  }

  private static QueryResult listing(EventStore store, EventQuery query)
      throws IOException, InvalidQueryException {
    List<Object[]> rows = store.execute(EventSql.listing(store, query));
    if (rows.isEmpty()) {
      checkFieldsExist(store, query);
    }
    List<String> columns = new ArrayList<>();
    columns.add("timestamp");
    columns.addAll(Field.COLUMNS);
    columns.add("attributes");
    List<List<Object>> out = new ArrayList<>(rows.size());
    for (Object[] row : rows) {
      List<Object> values = new ArrayList<>(columns.size());
      values.add(instantOfMicros((Long) row[0]));
      for (int i = 1; i <= Field.COLUMNS.size(); i++) {
        values.add(row[i]);
      }
      values.add(attributes((String) row[row.length - 1]));
      out.add(values);
    }
    return new QueryResult(columns, out);
  }

  private static QueryResult sample(EventStore store, EventQuery query)
      throws IOException, InvalidQueryException {
    long[] boundaries = query.boundaries();
    List<Object[]> rows = store.execute(EventSql.sample(store, query, boundaries));
    int width = query.aggregates().size();
    Map<Long, Object[]> byStart = new HashMap<>();
    boolean[] seen = new boolean[width];
    for (Object[] row : rows) {
      byStart.put((Long) row[0], Arrays.copyOfRange(row, 1, row.length));
      for (int i = 0; i < width; i++) {
        seen[i] |= row[i + 1] != null;
      }
    }
    boolean someColumnEmpty = false;
    for (int i = 0; i < width; i++) {
      someColumnEmpty |= !seen[i];
    }
    if (rows.isEmpty() || someColumnEmpty) {
      checkFieldsExist(store, query);
    }

    List<String> columns = new ArrayList<>();
    columns.add("start");
    query.aggregates().forEach(a -> columns.add(a.column()));
    List<List<Object>> out = new ArrayList<>();
    Object[] previous = new Object[width];
    for (int i = 0; i + 1 < boundaries.length; i++) {
      long startMicros = boundaries[i] * 1_000_000L;
      Object[] values = byStart.get(startMicros);
      if (values == null) {
        values =
            switch (query.fill()) {
              case NONE -> null;
              case NULL -> new Object[width];
              case PREV -> previous.clone();
              case ZERO -> zeros(query.aggregates());
            };
        if (values == null) {
          continue;
        }
      }
      previous = values;
      List<Object> row = new ArrayList<>(width + 1);
      row.add(Instant.ofEpochSecond(boundaries[i]));
      row.addAll(Arrays.asList(values));
      out.add(row);
    }
    return new QueryResult(columns, out);
  }

  private static Object[] zeros(List<Aggregate> aggregates) {
    Object[] values = new Object[aggregates.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = aggregates.get(i).function() == Aggregate.Function.COUNT ? (Object) 0L : 0.0;
    }
    return values;
  }

  /**
   * Fails naming a field of the query that no event of its type in its range has, when there are
   * such events: a misspelt field would otherwise look like an empty answer.
   */
  private static void checkFieldsExist(EventStore store, EventQuery query)
      throws IOException, InvalidQueryException {
    List<Field> fields = query.attributeFields();
    if (fields.isEmpty()) {
      return;
    }
    List<Object[]> rows = store.execute(EventSql.attributeKeys(store, query));
    if (rows.isEmpty()) {
      return; // No events at all: an empty answer, not an unknown field.
    }
    List<String> keys = rows.stream().map(r -> (String) r[0]).toList();
    for (Field field : fields) {
      if (!keys.contains(field.name())) {
        List<String> known = new ArrayList<>(Field.COLUMNS);
        known.addAll(keys);
        throw new InvalidQueryException(
            "unknown field \""
                + field.name()
                + "\": no "
                + query.type()
                + " event in ["
                + query.start()
                + ", "
                + query.end()
                + ") has it; their fields are "
                + String.join(", ", known));
      }
    }
  }

  private static Instant instantOfMicros(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  /**
   * Reads the attributes column's JSON ({@code [{key, *_value}, …]}) into key → value, the same
   * whichever store wrote it: DuckDB's {@code to_json} of the archive's values or BigQuery's {@code
   * TO_JSON_STRING}.
   */
  private static Map<String, Object> attributes(String json) throws IOException {
    Map<String, Object> out = new LinkedHashMap<>();
    if (json == null) {
      return out;
    }
    for (JsonNode attribute : JSON.readTree(json)) {
      Object value = null;
      for (String name : VALUE_FIELDS) {
        JsonNode v = attribute.get(name);
        if (v != null && !v.isNull()) {
          value = attributeValue(name, v);
          break;
        }
      }
      out.put(attribute.get("key").asText(), value);
    }
    return out;
  }

  /**
   * Returns one attribute value as the type of its column. BigQuery's JSON differs from the
   * archive's in three ways: an INT64 beyond ±2^53 is a string, a whole FLOAT64 has no fraction
   * (12.0 is written 12) and NaN and the infinities are strings, and a TIMESTAMP has only the
   * fraction digits it needs.
   */
  private static Object attributeValue(String column, JsonNode v) {
    return switch (column) {
      case "bool_value" -> v.asBoolean();
      case "int_value", "duration_micros" ->
          v.isTextual() ? (Object) Long.parseLong(v.asText()) : (Object) v.longValue();
      case "float_value" ->
          v.isTextual() ? (Object) Double.parseDouble(v.asText()) : (Object) v.doubleValue();
      case "timestamp_value" -> instantText(v.asText());
      default -> v.asText();
    };
  }

  /**
   * Returns a timestamp attribute as {@link Instant#toString}: the archive writes six fraction
   * digits (…:00.000000Z), BigQuery as many as it needs, and one instant must print one way.
   */
  private static String instantText(String text) {
    try {
      return Instant.parse(text).toString();
    } catch (DateTimeParseException e) {
      return text;
    }
  }
}
