package io.eventflow.events.query;

/**
 * The few places DuckDB's SQL and BigQuery's Standard SQL differ for the statements {@link
 * EventSql} writes: quoting, placeholders, reaching into the repeated {@code attributes} column,
 * timestamps as microseconds, and putting an event in its bucket.
 */
public enum SqlDialect {
  /** DuckDB, over the archive's gzip JSON lines. */
  DUCKDB,
  /** BigQuery Standard SQL, over the events table. */
  BIGQUERY;

  /** Returns the placeholder of the {@code index}-th parameter (from 0). */
  public String placeholder(int index) {
    return this == DUCKDB ? "$" + (index + 1) : "@p" + index;
  }

  /** Returns a column name quoted; only the events table's fixed column names come here. */
  String quote(String column) {
    return this == DUCKDB ? '"' + column + '"' : '`' + column + '`';
  }

  /**
   * Returns the value of the attribute whose key is the parameter {@code key}, or NULL without it:
   * {@code kind} is {@code STRING}, {@code BOOL}, or {@code NUMBER} (an integer or float value as a
   * double).
   */
  String attribute(String key, String kind) {
    if (this == DUCKDB) {
      // The first (in a valid event the only) attribute with that key; the key parameter may
      // appear twice, a placeholder names one value.
      String first = "list_filter(" + quote("attributes") + ", lambda x: x.key = " + key + ")[1]";
      return switch (kind) {
        case "STRING" -> first + ".string_value";
        case "BOOL" -> first + ".bool_value";
        case "NUMBER" ->
            "coalesce(CAST(" + first + ".int_value AS DOUBLE), " + first + ".float_value)";
        default -> throw new IllegalArgumentException("kind " + kind);
      };
    }
    String value =
        switch (kind) {
          case "STRING" -> "a.string_value";
          case "BOOL" -> "a.bool_value";
          case "NUMBER" -> "COALESCE(CAST(a.int_value AS FLOAT64), a.float_value)";
          default -> throw new IllegalArgumentException("kind " + kind);
        };
    return "(SELECT "
        + value
        + " FROM UNNEST(`attributes`) AS a WHERE a.key = "
        + key
        + " LIMIT 1)";
  }

  /** Returns the event timestamp as microseconds since the epoch. */
  String micros() {
    return this == DUCKDB ? "epoch_us(" + quote("timestamp") + ")" : "UNIX_MICROS(`timestamp`)";
  }

  /** Returns the attributes as a JSON array of {key, *_value} objects. */
  String attributesJson() {
    return this == DUCKDB
        ? "CAST(to_json(" + quote("attributes") + ") AS VARCHAR)"
        : "TO_JSON_STRING(`attributes`)";
  }

  /**
   * Returns a statement grouping {@code inner}'s rows (with a {@code us} column) into the buckets
   * whose ascending starts are the array parameter {@code boundaries}, selecting the bucket start
   * as {@code bucket} and then {@code aggregates}.
   */
  String sample(String inner, String boundaries, String aggregates) {
    if (this == DUCKDB) {
      // An as-of join finds each event's bucket, the last start at or before it, in one merge.
      return "WITH b AS (SELECT unnest("
          + boundaries
          + ") AS bucket)\n"
          + "SELECT b.bucket, "
          + aggregates
          + "\n"
          + "FROM ("
          + inner
          + ") AS e\n"
          + "ASOF JOIN b ON e.us >= b.bucket\n"
          + "GROUP BY b.bucket\nORDER BY b.bucket";
    }
    // RANGE_BUCKET returns i for boundaries[i-1] <= us < boundaries[i]. The array is cast to its
    // own type: nothing to BigQuery, which is told each parameter's type, but the BigQuery emulator
    // types a parameter from where it is used, and takes one it cannot place for an INT64
    // (goccy/bigquery-emulator#234).
    String starts = "CAST(" + boundaries + " AS ARRAY<INT64>)";
    return "SELECT "
        + starts
        + "[OFFSET(RANGE_BUCKET(e.us, "
        + starts
        + ") - 1)] AS bucket, "
        + aggregates
        + "\n"
        + "FROM ("
        + inner
        + ") AS e\n"
        + "GROUP BY bucket\nORDER BY bucket";
  }

  /**
   * Returns a statement listing the distinct attribute keys of {@code source}'s rows matching
   * {@code where}.
   */
  String attributeKeys(String source, String where) {
    if (this == DUCKDB) {
      return "SELECT DISTINCT k FROM (SELECT unnest(list_transform("
          + quote("attributes")
          + ", lambda x: x.key)) AS k FROM "
          + source
          + "\nWHERE "
          + where
          + ")\nORDER BY k";
    }
    return "SELECT DISTINCT a.key AS k FROM "
        + source
        + " AS e, UNNEST(e.attributes) AS a\nWHERE "
        + where
        + "\nORDER BY k";
  }
}
