package io.eventflow.events.query;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The output formats of {@code eventflow events query}. Times are RFC 3339: in UTC for the machine
 * formats (JSON, CSV), in the query's zone for the table.
 */
public enum ResultFormat {
  /** Aligned columns with a header; attributes as {@code key=value} pairs. */
  TABLE,
  /**
   * {@code {"rows": [{"start": "2026-11-07T05:00:00Z", "count": 42}, …]}}: times as strings, values
   * as numbers (NaN and infinities, which JSON cannot hold, as null), attributes as an object.
   */
  JSON,
  /** RFC 4180 with a header row; attributes as a JSON object; a null is an empty field. */
  CSV;

  private static final JsonFactory JSON_FACTORY = new JsonFactory();
  private static final ObjectMapper OBJECTS = new ObjectMapper();
  private static final CsvMapper CSV_MAPPER = new CsvMapper();

  /**
   * Parses {@code --format}, in any case.
   *
   * @throws InvalidQueryException naming the accepted formats
   */
  public static ResultFormat parse(String name) throws InvalidQueryException {
    for (ResultFormat format : values()) {
      if (format.name().equalsIgnoreCase(name.trim())) {
        return format;
      }
    }
    throw new InvalidQueryException("bad --format '" + name + "': expected table, json or csv");
  }

  /** Renders a result, ending in a newline; {@code zone} is the table's zone. */
  public String render(QueryResult result, ZoneId zone) {
    try {
      return switch (this) {
        case TABLE -> table(result, zone);
        case JSON -> json(result);
        case CSV -> csv(result);
      };
    } catch (IOException e) {
      throw new UncheckedIOException("a StringWriter does not fail", e);
    }
  }

  private static String table(QueryResult result, ZoneId zone) throws IOException {
    List<String> columns = result.columns();
    String[][] cells = new String[result.rows().size()][columns.size()];
    int[] widths = columns.stream().mapToInt(String::length).toArray();
    for (int r = 0; r < cells.length; r++) {
      List<Object> row = result.rows().get(r);
      for (int c = 0; c < columns.size(); c++) {
        Object v = row.get(c);
        String text;
        if (v instanceof Instant instant) {
          text =
              DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(ZonedDateTime.ofInstant(instant, zone));
        } else if (v instanceof Map<?, ?> map) {
          text =
              map.entrySet().stream()
                  .map(e -> e.getKey() + "=" + e.getValue())
                  .collect(Collectors.joining(" "));
        } else {
          text = text(v);
        }
        cells[r][c] = text;
        widths[c] = Math.max(widths[c], text.length());
      }
    }
    StringBuilder out = new StringBuilder();
    appendLine(out, columns.toArray(String[]::new), widths, result);
    for (String[] row : cells) {
      appendLine(out, row, widths, result);
    }
    return out.toString();
  }

  private static void appendLine(
      StringBuilder out, String[] cells, int[] widths, QueryResult result) {
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < cells.length; c++) {
      if (c > 0) {
        line.append("  ");
      }
      // Numbers right-aligned, text left-aligned; the last column is not padded.
      boolean numeric = isNumericColumn(result, c);
      int pad = widths[c] - cells[c].length();
      if (numeric) {
        line.append(" ".repeat(pad)).append(cells[c]);
      } else {
        line.append(cells[c]);
        if (c + 1 < cells.length) {
          line.append(" ".repeat(pad));
        }
      }
    }
    out.append(line.toString().stripTrailing()).append('\n');
  }

  private static boolean isNumericColumn(QueryResult result, int column) {
    for (List<Object> row : result.rows()) {
      Object v = row.get(column);
      if (v != null) {
        return v instanceof Number;
      }
    }
    return false;
  }

  private static String json(QueryResult result) throws IOException {
    StringWriter out = new StringWriter();
    try (JsonGenerator json = JSON_FACTORY.createGenerator(out)) {
      json.setCodec(OBJECTS);
      json.writeStartObject();
      json.writeArrayFieldStart("rows");
      for (List<Object> row : result.rows()) {
        json.writeStartObject();
        for (int c = 0; c < result.columns().size(); c++) {
          json.writeFieldName(result.columns().get(c));
          writeJson(json, row.get(c));
        }
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    }
    return out.append('\n').toString();
  }

  private static void writeJson(JsonGenerator json, Object v) throws IOException {
    if (v == null) {
      json.writeNull();
    } else if (v instanceof Instant instant) {
      json.writeString(instant.toString());
    } else if (v instanceof Long l) {
      json.writeNumber(l);
    } else if (v instanceof Double d) {
      if (!Double.isFinite(d)) {
        json.writeNull();
      } else if (isWhole(d)) {
        json.writeNumber(d.longValue());
      } else {
        json.writeNumber(d);
      }
    } else if (v instanceof Boolean b) {
      json.writeBoolean(b);
    } else if (v instanceof Map<?, ?> map) {
      json.writeStartObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        json.writeFieldName(String.valueOf(e.getKey()));
        writeJson(json, e.getValue());
      }
      json.writeEndObject();
    } else {
      json.writeString(v.toString());
    }
  }

  private static String csv(QueryResult result) throws IOException {
    CsvSchema.Builder schema = CsvSchema.builder().setUseHeader(true).setLineSeparator("\n");
    result.columns().forEach(schema::addColumn);
    StringWriter out = new StringWriter();
    try (SequenceWriter rows = CSV_MAPPER.writer(schema.build()).writeValues(out)) {
      // Writes the header even when there are no rows.
      rows.init(true);
      for (List<Object> row : result.rows()) {
        String[] cells = new String[row.size()];
        for (int c = 0; c < cells.length; c++) {
          Object v = row.get(c);
          cells[c] =
              v instanceof Map<?, ?> map
                  ? OBJECTS.writeValueAsString(map)
                  : v instanceof Instant instant ? instant.toString() : text(v);
        }
        rows.write(cells);
      }
    }
    return out.toString();
  }

  /** Returns a plain value as text: whole doubles without ".0", null as empty. */
  private static String text(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof Double d) {
      if (Double.isNaN(d)) {
        return "";
      }
      return isWhole(d) ? Long.toString(d.longValue()) : d.toString();
    }
    return v.toString();
  }

  private static boolean isWhole(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15;
  }
}
