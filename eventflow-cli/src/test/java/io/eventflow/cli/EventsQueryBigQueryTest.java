package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.events.query.ArchiveFixture;
import io.eventflow.events.query.BigQueryEventStore;
import io.eventflow.events.query.FakeBigQuery;
import io.eventflow.events.query.FakeBigQuery.Answer;
import io.eventflow.events.query.FakeBigQuery.Column;
import io.eventflow.ingest.TableSchemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eventflow events query --bigquery} through google-cloud-bigquery against {@link
 * FakeBigQuery} ({@code $BIGQUERY_EMULATOR_HOST}): the statement and named parameters it sends, and
 * the rows BigQuery would answer for a set of events, in BigQuery's own JSON, printed exactly as
 * the same events print from the local archive (written by the ingest job's archive writer).
 */
class EventsQueryBigQueryTest {
  private static final String TABLE = "my-project.eventflow.events";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String AGGREGATES = "count(), sum(amount), max(amount), avg(ratio)";

  private static final String[] RANGE = {
    "--type", "purchase", "--start", "2026-11-07T00:00:00Z", "--end", "2026-11-07T06:00:00Z"
  };

  /**
   * Purchases with every kind of value the printing must agree on: an integer and a whole float
   * (which BigQuery's JSON writes alike), an integer beyond 2^53 (which it writes as a string), a
   * boolean, text with quotes, timestamps with and without a fraction, and no customer (NULL).
   */
  static final List<Event> EVENTS =
      List.of(
          purchase(
              "p1", "2026-11-07T05:10:00Z", "acme", Map.of("amount", of(12), "price", of(12.0))),
          purchase(
              "p2",
              "2026-11-07T05:40:00.250Z",
              "globex",
              Map.of(
                  "amount",
                  of(30),
                  "ratio",
                  AttributeValues.of(0.25),
                  "note",
                  AttributeValues.of("say \"hi\""))),
          purchase(
              "p3",
              "2026-11-07T03:05:00Z",
              null,
              Map.of(
                  "amount",
                  of(8),
                  "vip",
                  AttributeValues.of(true),
                  "seen",
                  at("2026-11-07T03:00:00Z"),
                  "big",
                  of(9_007_199_254_740_993L))),
          purchase(
              "p4",
              "2026-11-07T04:20:00.000001Z",
              "acme",
              Map.of("amount", of(5), "seen", at("2026-11-07T04:00:00.123456Z"))));

  /** The value fields of an attribute record, in the order of the ingest job's schema file. */
  private static final List<String> VALUE_FIELDS = attributeValueFields();

  /** BigQuery's TO_JSON_STRING of a TIMESTAMP: UTC, with only the fraction digits it needs. */
  private static final DateTimeFormatter BIGQUERY_TIMESTAMP =
      new DateTimeFormatterBuilder()
          .appendPattern("uuuu-MM-dd'T'HH:mm:ss")
          .appendFraction(ChronoField.NANO_OF_SECOND, 0, 6, true)
          .appendLiteral('Z')
          .toFormatter()
          .withZone(ZoneOffset.UTC);

  @TempDir static Path dataDir;

  @RegisterExtension static final FakeBigQuery BIGQUERY = FakeBigQuery.start();

  @BeforeAll
  static void archive() {
    ArchiveFixture.write(dataDir.resolve("warehouse"), EVENTS, 1);
  }

  /**
   * A listing in each format, its answer in two pages: BigQuery's rows print as the archive's do.
   */
  @Test
  void listsEventsAsTheLocalArchiveDoes() {
    for (String format : List.of("table", "json", "csv")) {
      BIGQUERY.answer(listing(EVENTS).inPagesOf(3));

      CliRunner.Result fromBigQuery = onBigQuery("--format", format);

      assertThat(fromBigQuery.err()).isEmpty();
      assertThat(fromBigQuery.exitCode()).isZero();
      assertThat(fromBigQuery.out()).isEqualTo(local("--format", format).out());
    }
    assertThat(onBigQueryAnswering(listing(EVENTS), "--format", "json").out())
        .isEqualTo(
            "{\"rows\":["
                + "{\"timestamp\":\"2026-11-07T03:05:00Z\",\"id\":\"p3\",\"type\":\"purchase\","
                + "\"source\":\"test\",\"customer\":null,\"attributes\":{\"amount\":8,"
                + "\"big\":9007199254740993,\"seen\":\"2026-11-07T03:00:00Z\",\"vip\":true}},"
                + "{\"timestamp\":\"2026-11-07T04:20:00.000001Z\",\"id\":\"p4\",\"type\":\"purchase\","
                + "\"source\":\"test\",\"customer\":\"acme\",\"attributes\":{\"amount\":5,"
                + "\"seen\":\"2026-11-07T04:00:00.123456Z\"}},"
                + "{\"timestamp\":\"2026-11-07T05:10:00Z\",\"id\":\"p1\",\"type\":\"purchase\","
                + "\"source\":\"test\",\"customer\":\"acme\",\"attributes\":{\"amount\":12,"
                + "\"price\":12}},"
                + "{\"timestamp\":\"2026-11-07T05:40:00.250Z\",\"id\":\"p2\",\"type\":\"purchase\","
                + "\"source\":\"test\",\"customer\":\"globex\",\"attributes\":{\"amount\":30,"
                + "\"note\":\"say \\\"hi\\\"\",\"ratio\":0.25}}"
                + "]}\n");
  }

  /**
   * Samples in each format, hourly in UTC and in Kathmandu (+05:45), with and without filling: the
   * answers once complete at once, once only after the client waited for the job.
   */
  @Test
  void samplesAsTheLocalArchiveDoes() {
    for (String zone : List.of("UTC", "Asia/Kathmandu")) {
      for (String format : List.of("table", "json", "csv")) {
        String[] flags = {
          "--sample-by",
          "1h",
          "--tz",
          zone,
          "--fill",
          "zero",
          "--agg",
          AGGREGATES,
          "--format",
          format
        };
        String fromArchive = local(flags).out();
        for (boolean pending : List.of(false, true)) {
          Answer answer = sample(ZoneId.of(zone));
          BIGQUERY.answer(pending ? answer.completeOnlyLater() : answer);

          CliRunner.Result fromBigQuery = onBigQuery(flags);

          assertThat(fromBigQuery.err()).isEmpty();
          assertThat(fromBigQuery.out()).isEqualTo(fromArchive);
        }
      }
    }
    assertThat(
            onBigQueryAnswering(
                    sample(ZoneOffset.UTC),
                    "--sample-by",
                    "1h",
                    "--agg",
                    AGGREGATES,
                    "--format",
                    "json")
                .out())
        .isEqualTo(
            "{\"rows\":["
                + "{\"start\":\"2026-11-07T03:00:00Z\",\"count\":1,\"sum_amount\":8,"
                + "\"max_amount\":8,\"avg_ratio\":null},"
                + "{\"start\":\"2026-11-07T04:00:00Z\",\"count\":1,\"sum_amount\":5,"
                + "\"max_amount\":5,\"avg_ratio\":null},"
                + "{\"start\":\"2026-11-07T05:00:00Z\",\"count\":2,\"sum_amount\":42,"
                + "\"max_amount\":30,\"avg_ratio\":0.25}"
                + "]}\n");
  }

  /**
   * The statement sent is the one {@code --dry-run} prints, Standard SQL, labelled; what the user
   * typed in {@code --where} travels only as named parameters.
   */
  @Test
  void sendsTheDryRunStatementWithTypedValuesAsNamedParameters() {
    String[] flags = {"--where", "customer = \"acme\" and amount > 10", "--limit", "5"};
    String dryRun = onBigQuery(concat(flags, "--dry-run")).out();
    String statement = dryRun.substring(0, dryRun.indexOf("\n-- @p0"));
    BIGQUERY.answer(listing(List.of(EVENTS.get(0))));

    CliRunner.Result result = onBigQuery(flags);

    assertThat(result.out()).isEqualTo(local(flags).out());
    assertThat(BIGQUERY.requests().get(0).line())
        .isEqualTo("POST /bigquery/v2/projects/my-project/queries");
    JsonNode query = BIGQUERY.queries().get(0);
    assertThat(query.get("query").asText()).isEqualTo(statement).doesNotContain("acme");
    assertThat(query.get("useLegacySql").asBoolean(true)).isFalse();
    assertThat(query.get("labels").toString())
        .isEqualTo("{\"eventflow-command\":\"events-query\"}");
    assertThat(parameters(query))
        .containsExactly(
            "p0 STRING purchase",
            "p1 TIMESTAMP 2026-11-07 00:00:00.000000+00:00",
            "p2 TIMESTAMP 2026-11-07 06:00:00.000000+00:00",
            "p3 STRING acme",
            "p4 STRING amount",
            "p5 FLOAT64 10.0");

    BIGQUERY.reset();
    BIGQUERY.answer(sample(ZoneOffset.UTC));
    onBigQuery("--sample-by", "1h", "--agg", AGGREGATES);
    assertThat(parameters(BIGQUERY.queries().get(0)))
        .endsWith(
            "p5 ARRAY<INT64> [1794009600000000, 1794013200000000, 1794016800000000,"
                + " 1794020400000000, 1794024000000000, 1794027600000000, 1794031200000000]");
  }

  /**
   * BigQuery's refusals: one line, no stack trace; a statement it rejects is bad usage (2) like any
   * other query that cannot be answered, anything else an error (1).
   */
  @Test
  void refusalsAreOneLineWithTheDocumentedExitCode() {
    assertRefusal(
        Answer.error(400, "invalidQuery", "Unrecognized name: attributes at [1:52]"),
        EventflowCommand.EXIT_USAGE,
        "BigQuery rejected the query: Unrecognized name: attributes at [1:52]");
    assertRefusal(
        Answer.error(
            404,
            "notFound",
            "Not found: Table my-project:eventflow.events was not found in location US"),
        EventflowCommand.EXIT_ERROR,
        "BigQuery could not run the query on my-project.eventflow.events: Not found: Table"
            + " my-project:eventflow.events was not found in location US (404 notFound)");
    assertRefusal(
        Answer.error(
            403,
            "accessDenied",
            "Access Denied: Table my-project:eventflow.events: User does not have permission to"
                + " query table my-project:eventflow.events,\n or perhaps it does not exist."),
        EventflowCommand.EXIT_ERROR,
        "BigQuery could not run the query on my-project.eventflow.events: Access Denied: Table"
            + " my-project:eventflow.events: User does not have permission to query table"
            + " my-project:eventflow.events, or perhaps it does not exist. (403 accessDenied)");
  }

  /**
   * A misspelt field: the answer is empty, the attribute keys in range are asked for, and the
   * command says which fields there are, as it does over the archive.
   */
  @Test
  void anUnknownFieldIsNamedAsTheLocalArchiveNamesIt() {
    TreeSet<String> names = new TreeSet<>();
    EVENTS.forEach(e -> names.addAll(e.getAttributesMap().keySet()));
    List<List<String>> keys = names.stream().map(List::of).toList();
    BIGQUERY.answer(listing(List.of()));
    BIGQUERY.answer(Answer.rows(List.of(new Column("k", "STRING")), keys));

    CliRunner.Result result = onBigQuery("--where", "amunt > 1");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err())
        .startsWith("eventflow events query: unknown field \"amunt\"")
        .isEqualTo(local("--where", "amunt > 1").err());
    assertThat(BIGQUERY.queries()).hasSize(2);
  }

  private void assertRefusal(Answer refusal, int exitCode, String message) {
    BIGQUERY.answer(refusal);

    CliRunner.Result result = onBigQuery("--sample-by", "1h");

    assertThat(result.exitCode()).isEqualTo(exitCode);
    assertThat(result.out()).isEmpty();
    assertThat(result.err()).isEqualTo("eventflow events query: " + message + "\n");
  }

  /** Runs the query on the archive of {@link #EVENTS}. */
  private static CliRunner.Result local(String... flags) {
    return new CliRunner()
        .run(
            concat(
                concat(new String[] {"events", "query", "--data-dir", dataDir.toString()}, RANGE),
                flags));
  }

  /** Runs the query on {@link #TABLE}, which the fake serves. */
  private static CliRunner.Result onBigQuery(String... flags) {
    return new CliRunner()
        .env(BigQueryEventStore.EMULATOR_HOST_ENV, BIGQUERY.endpoint())
        .run(concat(concat(new String[] {"events", "query", "--bigquery", TABLE}, RANGE), flags));
  }

  private static CliRunner.Result onBigQueryAnswering(Answer answer, String... flags) {
    BIGQUERY.answer(answer);
    return onBigQuery(flags);
  }

  /**
   * The listing's answer: one row per event by time and id, as BigQuery sends it: the timestamp in
   * microseconds (UNIX_MICROS), the columns, and the attributes as TO_JSON_STRING writes them.
   */
  static Answer listing(List<Event> events) {
    List<Column> columns =
        List.of(
            new Column("us", "INTEGER"),
            new Column("id", "STRING"),
            new Column("type", "STRING"),
            new Column("source", "STRING"),
            new Column("customer", "STRING"),
            new Column("attributes", "STRING"));
    List<List<String>> rows =
        events.stream()
            .sorted(
                Comparator.comparing(EventsQueryBigQueryTest::micros).thenComparing(Event::getId))
            .map(
                e ->
                    Arrays.asList(
                        Long.toString(micros(e)),
                        e.getId(),
                        e.getType(),
                        e.getSource(),
                        e.hasCustomer() ? e.getCustomer().getValue() : null,
                        toJsonString(e.getAttributesMap())))
            .toList();
    return Answer.rows(columns, rows);
  }

  /**
   * The sample's answer for {@link #AGGREGATES}: per hour of {@code zone} holding an event, the
   * start in microseconds, the count, and the FLOAT64 sum and maximum of amount and mean of ratio
   * (NULL where no event has one), computed here from the events.
   */
  static Answer sample(ZoneId zone) {
    TreeMap<Long, List<Event>> buckets = new TreeMap<>();
    for (Event e : EVENTS) {
      Instant start = instant(e).atZone(zone).truncatedTo(ChronoUnit.HOURS).toInstant();
      buckets.computeIfAbsent(start.getEpochSecond() * 1_000_000L, s -> new ArrayList<>()).add(e);
    }
    List<List<String>> rows = new ArrayList<>();
    buckets.forEach(
        (start, events) -> {
          double sum = 0;
          double max = Double.NEGATIVE_INFINITY;
          List<Double> ratios = new ArrayList<>();
          for (Event e : events) {
            long amount = e.getAttributesMap().get("amount").getIntValue();
            sum += amount;
            max = Math.max(max, amount);
            if (e.getAttributesMap().containsKey("ratio")) {
              ratios.add(e.getAttributesMap().get("ratio").getFloatValue());
            }
          }
          String mean =
              ratios.isEmpty()
                  ? null
                  : Double.toString(
                      ratios.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
          rows.add(
              Arrays.asList(
                  Long.toString(start),
                  Integer.toString(events.size()),
                  Double.toString(sum),
                  Double.toString(max),
                  mean));
        });
    List<Column> columns =
        List.of(
            new Column("bucket", "INTEGER"),
            new Column("c0", "INTEGER"),
            new Column("c1", "FLOAT"),
            new Column("c2", "FLOAT"),
            new Column("c3", "FLOAT"));
    return Answer.rows(columns, rows);
  }

  /**
   * The attributes column as BigQuery's TO_JSON_STRING writes it: every field of each record, null
   * where unset; an INT64 beyond ±2^53 as a string, a whole FLOAT64 without a fraction.
   */
  static String toJsonString(Map<String, AttributeValue> attributes) {
    ArrayNode array = JSON.createArrayNode();
    for (Map.Entry<String, AttributeValue> entry : new TreeMap<>(attributes).entrySet()) {
      ObjectNode record = array.addObject().put("key", entry.getKey());
      VALUE_FIELDS.forEach(record::putNull);
      AttributeValue value = entry.getValue();
      switch (value.getValueCase()) {
        case BOOL_VALUE -> record.put("bool_value", value.getBoolValue());
        case INT_VALUE -> {
          long i = value.getIntValue();
          if (Math.abs(i) > (1L << 53)) {
            record.put("int_value", Long.toString(i));
          } else {
            record.put("int_value", i);
          }
        }
        case FLOAT_VALUE -> {
          double d = value.getFloatValue();
          if (d == Math.rint(d)) {
            record.put("float_value", (long) d);
          } else {
            record.put("float_value", d);
          }
        }
        case STRING_VALUE -> record.put("string_value", value.getStringValue());
        case TIMESTAMP_VALUE ->
            record.put(
                "timestamp_value",
                BIGQUERY_TIMESTAMP.format(
                    Instant.ofEpochSecond(
                        value.getTimestampValue().getSeconds(),
                        value.getTimestampValue().getNanos())));
        default -> throw new IllegalArgumentException("not among the test's events: " + value);
      }
    }
    return array.toString();
  }

  private static List<String> attributeValueFields() {
    try {
      List<String> names = new ArrayList<>();
      for (JsonNode column : JSON.readTree(TableSchemas.json(TableSchemas.EVENTS))) {
        if (column.get("name").asText().equals("attributes")) {
          column.get("fields").forEach(f -> names.add(f.get("name").asText()));
        }
      }
      names.remove("key");
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Describes each query parameter as {@code NAME TYPE VALUE}, arrays as {@code [a, b, …]}. */
  private static List<String> parameters(JsonNode query) {
    List<String> out = new ArrayList<>();
    for (JsonNode p : query.get("queryParameters")) {
      JsonNode type = p.get("parameterType");
      JsonNode value = p.get("parameterValue");
      if (type.get("type").asText().equals("ARRAY")) {
        List<String> values = new ArrayList<>();
        value.get("arrayValues").forEach(v -> values.add(v.get("value").asText()));
        out.add(
            p.get("name").asText()
                + " ARRAY<"
                + type.get("arrayType").get("type").asText()
                + "> "
                + values);
      } else {
        out.add(
            p.get("name").asText()
                + " "
                + type.get("type").asText()
                + " "
                + value.get("value").asText());
      }
    }
    return out;
  }

  private static Event purchase(
      String id, String at, String customer, Map<String, AttributeValue> attributes) {
    return ArchiveFixture.event(id, "purchase", Instant.parse(at), customer, attributes);
  }

  private static AttributeValue of(long value) {
    return AttributeValues.of(value);
  }

  private static AttributeValue of(double value) {
    return AttributeValues.of(value);
  }

  private static AttributeValue at(String instant) {
    Instant i = Instant.parse(instant);
    return AttributeValues.of(Timestamps.fromMicros(ChronoUnit.MICROS.between(Instant.EPOCH, i)));
  }

  private static Instant instant(Event e) {
    return Instant.ofEpochSecond(e.getTimestamp().getSeconds(), e.getTimestamp().getNanos());
  }

  private static long micros(Event e) {
    return Timestamps.toMicros(e.getTimestamp());
  }

  private static String[] concat(String[] first, String... second) {
    String[] all = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, all, first.length, second.length);
    return all;
  }
}
