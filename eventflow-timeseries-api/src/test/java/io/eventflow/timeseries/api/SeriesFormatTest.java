package io.eventflow.timeseries.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import io.eventflow.testing.Trials;
import io.eventflow.timeseries.api.pb.AggregateFunction;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SeriesFormatTest {
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  /** 2^53, where {@link SeriesFormat#number} switches from long digits to Double.toString. */
  private static final long TWO_TO_53 = 1L << 53;

  private static final double[] SPECIAL_DOUBLES = {
    0.0,
    -0.0,
    0.01,
    -0.01,
    0.1,
    0.5,
    -1.5,
    1e-7,
    1e21,
    Double.MIN_VALUE,
    -Double.MIN_VALUE,
    Double.MIN_NORMAL,
    Double.MAX_VALUE,
    -Double.MAX_VALUE,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    TWO_TO_53 - 1,
    TWO_TO_53,
    -TWO_TO_53,
    Math.nextUp((double) TWO_TO_53),
    Long.MAX_VALUE,
    Long.MIN_VALUE
  };

  /** Three days around the 2024 spring-forward in New York: midnights at -05:00 then -04:00. */
  private static SeriesValues days(double... values) {
    long[] starts = {
      Instant.parse("2024-03-09T05:00:00Z").getEpochSecond(),
      Instant.parse("2024-03-10T05:00:00Z").getEpochSecond(),
      Instant.parse("2024-03-11T04:00:00Z").getEpochSecond()
    };
    return new SeriesValues(
        "purchase.amount.sum",
        starts,
        values,
        Instant.parse("2024-04-01T00:00:00Z"),
        AggregateFunction.AGGREGATE_FUNCTION_SUM);
  }

  @Test
  void jsonHasUtcStartsAndNullForNaN() {
    assertThat(SeriesFormat.JSON.render(days(12, 2.5, Double.NaN), NEW_YORK))
        .isEqualTo(
            "{\"name\":\"purchase.amount.sum\",\"points\":["
                + "{\"start\":\"2024-03-09T05:00:00Z\",\"value\":12},"
                + "{\"start\":\"2024-03-10T05:00:00Z\",\"value\":2.5},"
                + "{\"start\":\"2024-03-11T04:00:00Z\",\"value\":null}]}\n");
  }

  @Test
  void jsonEscapesTheName() {
    SeriesValues odd =
        new SeriesValues(
            "a\"b\\c\n",
            new long[0],
            new double[0],
            Instant.EPOCH,
            AggregateFunction.AGGREGATE_FUNCTION_SUM);
    assertThat(SeriesFormat.json(odd)).isEqualTo("{\"name\":\"a\\\"b\\\\c\\n\",\"points\":[]}\n");
  }

  @Test
  void csvHasHeaderUtcStartsAndEmptyFieldForNaN() {
    assertThat(SeriesFormat.CSV.render(days(12, 2.5, Double.NaN), NEW_YORK))
        .isEqualTo(
            "start,value\n"
                + "2024-03-09T05:00:00Z,12\n"
                + "2024-03-10T05:00:00Z,2.5\n"
                + "2024-03-11T04:00:00Z,\n");
  }

  @Test
  void tableShowsStartsInTheQueryZoneWithTheirOffsets() {
    assertThat(SeriesFormat.TABLE.render(days(12, 2.5, Double.NaN), NEW_YORK))
        .isEqualTo(
            "start                      value\n"
                + "2024-03-09T00:00:00-05:00     12\n"
                + "2024-03-10T00:00:00-05:00    2.5\n"
                + "2024-03-11T00:00:00-04:00    NaN\n");
  }

  @Test
  void chartDrawsProportionalColumnsWithAxisLabels() {
    assertThat(SeriesFormat.chart(days(8, 4, Double.NaN), NEW_YORK, 80, 2))
        .isEqualTo(
            "purchase.amount.sum\n"
                + "8 ┤█\n"
                + "0 ┤██\n"
                + "  └───\n"
                + "   2024-03-09T00:00:00-05:00 … 2024-03-11T00:00:00-04:00\n");
  }

  @Test
  void chartUsesEighthBlocksForPartialRows() {
    // One row of 8 levels: 8 is full, 4 half, 1 an eighth.
    assertThat(SeriesFormat.chart(days(8, 4, 1), ZoneOffset.UTC, 80, 1)).contains("8 ┤█▄▁\n");
  }

  @Test
  void chartKeepsPeaksWhenBucketsOutnumberColumns() {
    double[] values = new double[100];
    values[57] = 10;
    long[] starts = new long[100];
    for (int i = 0; i < starts.length; i++) {
      starts[i] = i * 60L;
    }
    SeriesValues spiky =
        new SeriesValues(
            "s", starts, values, Instant.EPOCH, AggregateFunction.AGGREGATE_FUNCTION_MAX);

    String chart = SeriesFormat.chart(spiky, ZoneOffset.UTC, 10, 1);

    // 100 buckets in 10 columns: bucket 57 falls in column 5.
    assertThat(chart).contains("10 ┤     █\n");
  }

  @Test
  void chartOfNoBucketsSaysSo() {
    SeriesValues empty =
        new SeriesValues(
            "s",
            new long[0],
            new double[0],
            Instant.EPOCH,
            AggregateFunction.AGGREGATE_FUNCTION_SUM);
    assertThat(SeriesFormat.CHART.render(empty, ZoneOffset.UTC)).isEqualTo("s\n(no data)\n");
  }

  @Test
  void parseAcceptsAnyCaseAndNamesTheChoicesOtherwise() {
    assertThat(SeriesFormat.parse("Chart")).isEqualTo(SeriesFormat.CHART);
    assertThatThrownBy(() -> SeriesFormat.parse("xml"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown format \"xml\": expected table, json, csv or chart");
  }

  @Test
  void jsonAndCsvReadBackExactlyWithAnyNameAndValues() {
    ObjectMapper json = new ObjectMapper();
    CsvMapper csv = new CsvMapper();
    Trials.run(
        500,
        random -> {
          StringBuilder name = new StringBuilder();
          for (int i = random.nextInt(12); i > 0; i--) {
            // Any UTF-16 unit: controls, quotes, backslashes, non-ASCII, lone surrogates.
            name.append((char) random.nextInt(Character.MAX_VALUE + 1));
          }
          int n = random.nextInt(6);
          long[] starts = new long[n];
          double[] values = new double[n];
          for (int i = 0; i < n; i++) {
            starts[i] = 1_709_251_200L + 60L * i;
            values[i] = anyDouble(random);
          }
          SeriesValues series =
              new SeriesValues(
                  name.toString(),
                  starts,
                  values,
                  Instant.EPOCH,
                  AggregateFunction.AGGREGATE_FUNCTION_SUM);

          JsonNode tree = json.readTree(SeriesFormat.json(series));
          assertThat(tree.get("name").asText()).isEqualTo(name.toString());
          List<String[]> rows =
              csv.readerFor(String[].class)
                  .with(CsvParser.Feature.WRAP_AS_ARRAY)
                  .<String[]>readValues(SeriesFormat.csv(series))
                  .readAll();
          assertThat(rows.get(0)).containsExactly("start", "value");
          assertThat(rows).hasSize(n + 1);
          for (int i = 0; i < n; i++) {
            JsonNode point = tree.get("points").get(i);
            String start = Instant.ofEpochSecond(starts[i]).toString();
            assertThat(point.get("start").asText()).isEqualTo(start);
            assertThat(rows.get(i + 1)[0]).isEqualTo(start);
            double v = values[i];
            if (Double.isFinite(v)) {
              assertThat(point.get("value").asDouble()).isEqualTo(v);
            } else {
              assertThat(point.get("value").isNull()).isTrue();
            }
            if (Double.isNaN(v)) {
              assertThat(rows.get(i + 1)[1]).isEmpty();
            } else {
              assertThat(Double.parseDouble(rows.get(i + 1)[1])).isEqualTo(v);
            }
          }
        });
  }

  @Test
  void numbersReadBackExactly() {
    Trials.run(
        2000,
        random -> {
          double v = anyDouble(random);
          String text = SeriesFormat.number(v);
          // AssertJ compares primitive doubles with ==, which NaN never satisfies; the table
          // prints NaN for empty buckets, so it must read back as NaN too.
          if (Double.isNaN(v)) {
            assertThat(Double.parseDouble(text)).as(text).isNaN();
          } else {
            assertThat(Double.parseDouble(text)).as(text).isEqualTo(v);
          }
        });
  }

  /**
   * A double from one of four families: two-decimal values of any magnitude up to ±MAX_VALUE, any
   * bit pattern (subnormals, NaNs, infinities), integers around 2^53 and random longs, or special
   * values.
   */
  private static double anyDouble(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> {
        // Unscaled values of up to 1030 bits, over 100, stay below MAX_VALUE (about 2^1024).
        BigDecimal decimal = new BigDecimal(new BigInteger(r.nextInt(1031), r), 2);
        yield r.nextBoolean() ? decimal.doubleValue() : -decimal.doubleValue();
      }
      case 1 -> Double.longBitsToDouble(r.nextLong());
      case 2 ->
          r.nextBoolean()
              ? (double) ((r.nextBoolean() ? TWO_TO_53 : -TWO_TO_53) + r.nextInt(-8, 9))
              : (double) r.nextLong();
      default -> SPECIAL_DOUBLES[r.nextInt(SPECIAL_DOUBLES.length)];
    };
  }
}
