package io.eventflow.events.query;

import io.eventflow.events.query.Condition.And;
import io.eventflow.events.query.Condition.Comparison;
import io.eventflow.events.query.Condition.Not;
import io.eventflow.events.query.Condition.Or;
import io.eventflow.events.query.GeneratedSql.Parameters;
import io.eventflow.events.query.GeneratedSql.Type;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the statements of an {@link EventQuery} for a store: the listing, the sample, and the
 * attribute keys present in range (to tell an unknown field from an empty result). The same flags
 * give the same statement shape in DuckDB and BigQuery; only {@link SqlDialect}'s pieces differ.
 */
public final class EventSql {
  private EventSql() {}

  /**
   * Returns the statement that answers {@code query} on {@code store}.
   *
   * @throws InvalidQueryException if the sample would have too many buckets
   */
  public static GeneratedSql of(EventStore store, EventQuery query)
      throws IOException, InvalidQueryException {
    return query.isSample() ? sample(store, query, query.boundaries()) : listing(store, query);
  }

  /** Returns the listing: the first {@code limit} events by timestamp, then id. */
  static GeneratedSql listing(EventStore store, EventQuery query) throws IOException {
    SqlDialect d = store.dialect();
    Parameters p = new Parameters(d);
    EventStore.Source source = store.source(query, p);
    String text =
        "SELECT "
            + d.micros()
            + " AS us, "
            + String.join(", ", Field.COLUMNS.stream().map(d::quote).toList())
            + ", "
            + d.attributesJson()
            + " AS attributes\nFROM "
            + source.sql()
            + "\nWHERE "
            + where(d, p, query)
            + "\nORDER BY "
            + d.quote("timestamp")
            + ", "
            + d.quote("id")
            // The limit is an int the command parsed and checked, never text the user typed.
            + "\nLIMIT "
            + query.limit();
    return new GeneratedSql(text, p.values(), source.empty());
  }

  /**
   * Returns the sample: the bucket start (epoch microseconds) and then aggregate i as column {@code
   * c<i>}, for each bucket holding a matching event; {@code starts} are the query's bucket
   * boundaries in epoch seconds ({@link EventQuery#boundaries}).
   */
  static GeneratedSql sample(EventStore store, EventQuery query, long[] starts) throws IOException {
    SqlDialect d = store.dialect();
    Parameters p = new Parameters(d);
    EventStore.Source source = store.source(query, p);
    long[] micros = new long[starts.length];
    for (int i = 0; i < starts.length; i++) {
      micros[i] = Math.multiplyExact(starts[i], 1_000_000L);
    }
    // One inner column per aggregated field, shared by the aggregates over it.
    Map<Field, String> columns = new LinkedHashMap<>();
    List<String> inner = new ArrayList<>();
    inner.add(d.micros() + " AS us");
    List<String> aggregates = new ArrayList<>();
    for (Aggregate a : query.aggregates()) {
      // Output columns are c0, c1, …: a field name, which the user typed, never becomes an alias.
      String alias = " AS c" + aggregates.size();
      if (a.field() == null) {
        aggregates.add("count(*)" + alias);
        continue;
      }
      String column = columns.get(a.field());
      if (column == null) {
        column = "v" + columns.size();
        columns.put(a.field(), column);
        inner.add(d.attribute(p.add(Type.STRING, a.field().name()), "NUMBER") + " AS " + column);
      }
      aggregates.add(a.function().name().toLowerCase(Locale.ROOT) + "(e." + column + ")" + alias);
    }
    String innerSql =
        "SELECT "
            + String.join(", ", inner)
            + "\nFROM "
            + source.sql()
            + "\nWHERE "
            + where(d, p, query);
    String text =
        d.sample(innerSql, p.add(Type.ARRAY_INT64, micros), String.join(", ", aggregates));
    return new GeneratedSql(text, p.values(), source.empty());
  }

  /** Returns the distinct attribute keys of the events of the query's type in its range. */
  static GeneratedSql attributeKeys(EventStore store, EventQuery query) throws IOException {
    SqlDialect d = store.dialect();
    Parameters p = new Parameters(d);
    EventStore.Source source = store.source(query, p);
    String text = d.attributeKeys(source.sql(), range(d, p, query));
    return new GeneratedSql(text, p.values(), source.empty());
  }

  private static String where(SqlDialect d, Parameters p, EventQuery query) {
    String range = range(d, p, query);
    return query.where() == null
        ? range
        : range + "\n  AND (" + condition(d, p, query.where()) + ")";
  }

  /** The type and range filter (in BigQuery also the partition filter the table requires). */
  private static String range(SqlDialect d, Parameters p, EventQuery query) {
    return d.quote("type")
        + " = "
        + p.add(Type.STRING, query.type())
        + " AND "
        + d.quote("timestamp")
        + " >= "
        + p.add(Type.TIMESTAMP, query.start())
        + " AND "
        + d.quote("timestamp")
        + " < "
        + p.add(Type.TIMESTAMP, query.end());
  }

  private static String condition(SqlDialect d, Parameters p, Condition c) {
    if (c instanceof And and) {
      return "(" + condition(d, p, and.left()) + " AND " + condition(d, p, and.right()) + ")";
    }
    if (c instanceof Or or) {
      return "(" + condition(d, p, or.left()) + " OR " + condition(d, p, or.right()) + ")";
    }
    if (c instanceof Not not) {
      return "NOT " + condition(d, p, not.operand());
    }
    Comparison cmp = (Comparison) c;
    String op = " " + cmp.operator().sql() + " ";
    if (cmp.field().isColumn()) {
      // Field.COLUMNS is a fixed list: the quoted name is ours, not the user's text.
      return d.quote(cmp.field().name()) + op + p.add(Type.STRING, cmp.literal());
    }
    String key = p.add(Type.STRING, cmp.field().name());
    if (cmp.literal() instanceof String s) {
      return d.attribute(key, "STRING") + op + p.add(Type.STRING, s);
    }
    if (cmp.literal() instanceof Boolean b) {
      return d.attribute(key, "BOOL") + op + p.add(Type.BOOL, b);
    }
    return d.attribute(key, "NUMBER") + op + p.add(Type.FLOAT64, cmp.literal());
  }
}
