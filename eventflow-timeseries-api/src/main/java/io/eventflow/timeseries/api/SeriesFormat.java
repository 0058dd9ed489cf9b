package io.eventflow.timeseries.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The output formats of {@code eventflow series get}: each renders series values as text ending in
 * a newline. Times are RFC 3339: in UTC for the machine formats (JSON, CSV), in the query's zone
 * for the human ones (table, chart).
 */
public enum SeriesFormat {
  /** Two aligned columns: bucket start in the query's zone, value. */
  TABLE,
  /**
   * {@code {"name":…,"points":[{"start":"<RFC 3339 UTC>","value":…},…]}}; NaN and infinities, which
   * JSON cannot represent, are {@code null}.
   */
  JSON,
  /** A {@code start,value} header, then one row per bucket; NaN is an empty field. */
  CSV,
  /** A column chart drawn with block characters, 80 columns by 12 rows. */
  CHART;

  /** The chart size of {@link #CHART}: a standard terminal's width, a dozen rows of bars. */
  private static final int CHART_WIDTH = 80;

  private static final int CHART_HEIGHT = 12;

  /** Eighths of a character cell, from empty to full: a chart row resolves 8 levels. */
  private static final char[] BLOCKS = {' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'};

  private static final DateTimeFormatter LOCAL_TIME = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

  /**
   * Parses a format name as the CLI's {@code --format} takes it, in any case.
   *
   * @throws IllegalArgumentException naming the accepted formats if {@code name} is none of them
   */
  public static SeriesFormat parse(String name) {
    for (SeriesFormat format : values()) {
      if (format.name().equalsIgnoreCase(name)) {
        return format;
      }
    }
    throw new IllegalArgumentException(
        "unknown format \"" + name + "\": expected table, json, csv or chart");
  }

  /** Renders series values; {@code zone} is the zone of the human formats' times. */
  public String render(SeriesValues series, ZoneId zone) {
    return switch (this) {
      case TABLE -> table(series, zone);
      case JSON -> json(series);
      case CSV -> csv(series);
      case CHART -> chart(series, zone, CHART_WIDTH, CHART_HEIGHT);
    };
  }

  /** Renders the table format. */
  public static String table(SeriesValues series, ZoneId zone) {
    String[] starts = new String[series.size()];
    String[] values = new String[series.size()];
    int startWidth = "start".length();
    int valueWidth = "value".length();
    for (int i = 0; i < series.size(); i++) {
      starts[i] = LOCAL_TIME.format(ZonedDateTime.ofInstant(series.start(i), zone));
      values[i] = number(series.value(i));
      startWidth = Math.max(startWidth, starts[i].length());
      valueWidth = Math.max(valueWidth, values[i].length());
    }
    StringBuilder out = new StringBuilder();
    out.append(padRight("start", startWidth)).append("  ").append(padLeft("value", valueWidth));
    out.append('\n');
    for (int i = 0; i < series.size(); i++) {
      out.append(padRight(starts[i], startWidth))
          .append("  ")
          .append(padLeft(values[i], valueWidth))
          .append('\n');
    }
    return out.toString();
  }

  /**
   * Jackson's JSON factory and CSV mapper, made on first use: a {@code CsvMapper} costs tens of
   * milliseconds to build, which {@code eventflow series get} would otherwise pay at every start
   * even for the table format (docs/BENCHMARKS.md, "CLI start").
   */
  private static final class Jackson {
    /** Writes the JSON format; one generator factory serves every call (it is thread-safe). */
    static final JsonFactory JSON_FACTORY = new JsonFactory();

    /** Writes the CSV format: RFC 4180 with a header row and LF line ends. */
    static final CsvMapper CSV_MAPPER = new CsvMapper();

    static final CsvSchema CSV_SCHEMA =
        CsvSchema.builder()
            .addColumn("start")
            .addColumn("value")
            .setUseHeader(true)
            .setLineSeparator("\n")
            .build();

    private Jackson() {}
  }

  /** Renders the JSON format on one line, with Jackson's generator (escaping included). */
  public static String json(SeriesValues series) {
    StringWriter out = new StringWriter(32 + series.size() * 48);
    try (JsonGenerator json = Jackson.JSON_FACTORY.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("name", series.name());
      json.writeArrayFieldStart("points");
      for (int i = 0; i < series.size(); i++) {
        json.writeStartObject();
        json.writeStringField("start", series.start(i).toString());
        json.writeFieldName("value");
        double v = series.value(i);
        if (!Double.isFinite(v)) {
          // JSON has no NaN or infinities.
          json.writeNull();
        } else if (isWhole(v)) {
          json.writeNumber((long) v);
        } else {
          json.writeNumber(v);
        }
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("a StringWriter does not fail", e);
    }
    return out.append('\n').toString();
  }

  /** Renders the CSV format (RFC 4180, LF line ends) with Jackson's CSV module. */
  public static String csv(SeriesValues series) {
    StringWriter out = new StringWriter(16 + series.size() * 32);
    try (SequenceWriter rows = Jackson.CSV_MAPPER.writer(Jackson.CSV_SCHEMA).writeValues(out)) {
      // Writes the header even when there are no rows.
      rows.init(true);
      for (int i = 0; i < series.size(); i++) {
        double v = series.value(i);
        rows.write(new String[] {series.start(i).toString(), Double.isNaN(v) ? "" : number(v)});
      }
    } catch (IOException e) {
      throw new UncheckedIOException("a StringWriter does not fail", e);
    }
    return out.toString();
  }

  /**
   * Renders a column chart at most {@code width} columns (plus the axis labels) by {@code height}
   * rows. With more buckets than columns, each column shows the largest value of the consecutive
   * buckets it covers, so peaks survive; empty (NaN) buckets draw nothing. Bars rise from the lower
   * of 0 and the smallest value.
   */
  public static String chart(SeriesValues series, ZoneId zone, int width, int height) {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("chart needs at least one column and one row");
    }
    StringBuilder out = new StringBuilder();
    out.append(series.name()).append('\n');
    if (series.size() == 0) {
      return out.append("(no data)\n").toString();
    }
    int columns = Math.min(width, series.size());
    double[] column = new double[columns];
    double lo = 0;
    double hi = 0;
    boolean any = false;
    for (int c = 0; c < columns; c++) {
      int from = (int) ((long) c * series.size() / columns);
      int to = (int) ((long) (c + 1) * series.size() / columns);
      double max = Double.NaN;
      for (int i = from; i < to; i++) {
        double v = series.value(i);
        if (Double.isFinite(v) && (Double.isNaN(max) || v > max)) {
          max = v;
        }
      }
      column[c] = max;
      if (!Double.isNaN(max)) {
        lo = any ? Math.min(lo, max) : Math.min(0, max);
        hi = any ? Math.max(hi, max) : Math.max(0, max);
        any = true;
      }
    }
    double span = hi > lo ? hi - lo : 1;
    String top = number(hi);
    String bottom = number(lo);
    int labelWidth = Math.max(top.length(), bottom.length());
    for (int row = 0; row < height; row++) {
      String label = row == 0 ? top : row == height - 1 ? bottom : "";
      out.append(padLeft(label, labelWidth)).append(" ┤");
      int rowBottom = (height - 1 - row) * 8;
      StringBuilder line = new StringBuilder(columns);
      for (int c = 0; c < columns; c++) {
        if (Double.isNaN(column[c])) {
          line.append(' ');
          continue;
        }
        long level = Math.round((column[c] - lo) / span * height * 8);
        int filled = (int) Math.max(0, Math.min(8, level - rowBottom));
        line.append(BLOCKS[filled]);
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    out.append(" ".repeat(labelWidth)).append(" └").append("─".repeat(columns)).append('\n');
    String first = LOCAL_TIME.format(ZonedDateTime.ofInstant(series.start(0), zone));
    String last = LOCAL_TIME.format(ZonedDateTime.ofInstant(series.start(series.size() - 1), zone));
    out.append(" ".repeat(labelWidth + 2)).append(first);
    if (series.size() > 1) {
      out.append(" … ").append(last);
    }
    return out.append('\n').toString();
  }

  /**
   * Formats a value the shortest way that reads back exactly: whole numbers without a fraction
   * (counts and sums of integers are the common case), others as {@link Double#toString}.
   */
  static String number(double v) {
    return isWhole(v) ? Long.toString((long) v) : Double.toString(v);
  }

  /** Returns whether {@code v} is an integer a long holds exactly: |v| below 2^53. */
  private static boolean isWhole(double v) {
    // 2^53: beyond it not every integer is a double, and a long would print digits that aren't
    // there.
    return v == Math.rint(v) && Math.abs(v) < 9.007199254740992E15;
  }

  private static String padLeft(String s, int width) {
    return " ".repeat(Math.max(0, width - s.length())) + s;
  }

  private static String padRight(String s, int width) {
    return s + " ".repeat(Math.max(0, width - s.length()));
  }
}
