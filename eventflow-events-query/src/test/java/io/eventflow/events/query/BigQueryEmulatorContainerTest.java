package io.eventflow.events.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.NoCredentials;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryOptions;
import com.google.cloud.bigquery.Clustering;
import com.google.cloud.bigquery.DatasetId;
import com.google.cloud.bigquery.DatasetInfo;
import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.FieldList;
import com.google.cloud.bigquery.InsertAllRequest;
import com.google.cloud.bigquery.InsertAllResponse;
import com.google.cloud.bigquery.LegacySQLTypeName;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.StandardTableDefinition;
import com.google.cloud.bigquery.TableId;
import com.google.cloud.bigquery.TableInfo;
import com.google.cloud.bigquery.TimePartitioning;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.ingest.TableRows;
import io.eventflow.ingest.TableSchemas;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.gcloud.BigQueryEmulatorContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * {@link BigQueryEventStore} against the BigQuery emulator (goccy/bigquery-emulator, which runs
 * GoogleSQL on SQLite) in Docker: the events table created from the ingest job's schema file, rows
 * inserted as the ingest job builds them ({@link TableRows#eventRow}), and the statements {@link
 * EventSql} writes actually executed, answers compared with values computed here and with the same
 * events queried from an archive.
 *
 * <p>Needs a Docker daemon; without one JUnit reports the class as skipped (never failed), and
 * {@link BigQueryEventStoreTest} and the CLI's {@code EventsQueryBigQueryTest} still run the client
 * against the in-process {@link FakeBigQuery}. Not run on the machine it was written on (no Docker
 * there): written from the emulator's documentation and source.
 *
 * <p>The events carry integer, float, text and boolean attributes only: the emulator's
 * TO_JSON_STRING (go-zetasqlite 0.19.3) writes a TIMESTAMP field unquoted and NaN bare, which is
 * not JSON, and its streaming insert reads JSON numbers as doubles, which cannot hold an INT64
 * beyond 2^53. The CLI's {@code EventsQueryBigQueryTest} covers those values in BigQuery's own
 * encoding.
 */
@Testcontainers(disabledWithoutDocker = true)
class BigQueryEmulatorContainerTest {
  /**
   * Pinned so a new emulator release cannot change the result of an old commit's build. 0.6.6, not
   * 0.7.x: in 0.7.0 to 0.7.2 rows inserted with the Java client's insertAll were not visible to
   * queries (goccy/bigquery-emulator#470).
   */
  private static final DockerImageName IMAGE =
      DockerImageName.parse("ghcr.io/goccy/bigquery-emulator:0.6.6");

  @Container
  private static final BigQueryEmulatorContainer EMULATOR = new BigQueryEmulatorContainer(IMAGE);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ZoneId KATHMANDU = ZoneId.of("Asia/Kathmandu");
  private static final Instant START = Instant.parse("2026-11-07T00:00:00Z");
  private static final Instant END = Instant.parse("2026-11-07T06:00:00Z");

  /** Purchases in and around [START, END), and a signup, which no purchase query may return. */
  static final List<Event> EVENTS =
      List.of(
          purchase("p0", "2026-11-06T23:59:59.999999Z", "acme", Map.of("amount", of(1000))),
          purchase("p1", "2026-11-07T00:10:00Z", "acme", Map.of("amount", of(10))),
          purchase(
              "p2",
              "2026-11-07T00:50:00.250Z",
              "globex",
              Map.of("amount", AttributeValues.of(5.5))),
          purchase(
              "p3",
              "2026-11-07T01:20:00Z",
              "acme",
              Map.of("amount", of(20), "vip", AttributeValues.of(true))),
          purchase(
              "p4",
              "2026-11-07T04:05:00Z",
              null,
              Map.of("amount", of(7), "note", AttributeValues.of("gift"))),
          purchase(
              "p5",
              "2026-11-07T04:59:59.999999Z",
              "acme",
              Map.of("amount", of(12), "ratio", AttributeValues.of(0.5))),
          purchase("p6", "2026-11-07T06:00:00Z", "acme", Map.of("amount", of(3))),
          ArchiveFixture.event(
              "s1",
              "signup",
              Instant.parse("2026-11-07T00:30:00Z"),
              "acme",
              Map.of("plan", AttributeValues.of("pro"))));

  @TempDir static Path directory;

  static String table;
  static Path archive;

  @BeforeAll
  static void createTableAndInsertEvents() throws Exception {
    String project = EMULATOR.getProjectId();
    table = project + ".eventflow.events";
    BigQuery admin =
        BigQueryOptions.newBuilder()
            .setProjectId(project)
            .setHost(EMULATOR.getEmulatorHttpEndpoint())
            .setCredentials(NoCredentials.getInstance())
            .build()
            .getService();
    admin.create(DatasetInfo.of(DatasetId.of(project, "eventflow")));
    TableId id = TableId.of(project, "eventflow", "events");
    // As the ingest job creates it (BigQueryTable): day partitions on timestamp, clustered by type.
    // The emulator keeps both as metadata only.
    admin.create(
        TableInfo.of(
            id,
            StandardTableDefinition.newBuilder()
                .setSchema(Schema.of(fields(JSON.readTree(TableSchemas.json(TableSchemas.EVENTS)))))
                .setTimePartitioning(
                    TimePartitioning.newBuilder(TimePartitioning.Type.DAY)
                        .setField("timestamp")
                        .build())
                .setClustering(Clustering.newBuilder().setFields(List.of("type")).build())
                .build()));
    InsertAllRequest.Builder insert = InsertAllRequest.newBuilder(id);
    EVENTS.forEach(e -> insert.addRow(TableRows.eventRow(e)));
    InsertAllResponse inserted = admin.insertAll(insert.build());
    assertThat(inserted.getInsertErrors()).isEmpty();

    archive = directory.resolve("warehouse");
    ArchiveFixture.write(archive, EVENTS, 1);
  }

  /** A filter on a column and a numeric attribute: acme's purchases over 10 in the range. */
  @Test
  void listsFilteredEventsInTimeOrder() throws Exception {
    EventQuery query =
        EventQuery.list(
            "purchase", START, END, WhereParser.parse("customer = \"acme\" and amount > 10"), 100);

    QueryResult result = onBigQuery(query);

    assertThat(result.rows())
        .isEqualTo(listing(e -> "acme".equals(customer(e)) && amount(e) > 10, 100));
    assertThat(result.rows()).extracting(row -> row.get(1)).containsExactly("p3", "p5");
    assertThat(result).isEqualTo(fromArchive(query));
  }

  /** No filter, a limit: the first two purchases at or after START, and nothing else. */
  @Test
  void listsTheFirstEventsUpToTheLimit() throws Exception {
    EventQuery query = EventQuery.list("purchase", START, END, null, 2);

    QueryResult result = onBigQuery(query);

    assertThat(result.rows()).isEqualTo(listing(e -> true, 2));
    assertThat(result.rows()).extracting(row -> row.get(1)).containsExactly("p1", "p2");
    assertThat(result).isEqualTo(fromArchive(query));
  }

  /**
   * Hourly in Kathmandu (+05:45, so hours start at :15 UTC, the first one before START): count,
   * sum, max and mean per bucket, the mean NULL where no event has the attribute.
   */
  @Test
  void samplesHourlyInKathmandu() throws Exception {
    EventQuery query =
        EventQuery.sample(
            "purchase",
            START,
            END,
            null,
            SampleBy.parse("1h"),
            KATHMANDU,
            Fill.NONE,
            Aggregate.parseList("count(), sum(amount), max(amount), avg(ratio)"));

    QueryResult result = onBigQuery(query);

    List<List<Object>> expected = new ArrayList<>();
    hourly(KATHMANDU)
        .forEach(
            (start, events) -> {
              double sum = events.stream().mapToDouble(BigQueryEmulatorContainerTest::amount).sum();
              double max =
                  events.stream()
                      .mapToDouble(BigQueryEmulatorContainerTest::amount)
                      .max()
                      .orElseThrow();
              List<Double> ratios =
                  events.stream()
                      .filter(e -> e.getAttributesMap().containsKey("ratio"))
                      .map(e -> e.getAttributesMap().get("ratio").getFloatValue())
                      .toList();
              Double mean =
                  ratios.isEmpty()
                      ? null
                      : ratios.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
              expected.add(Arrays.asList(start, (long) events.size(), sum, max, mean));
            });
    assertThat(result.columns())
        .containsExactly("start", "count", "sum_amount", "max_amount", "avg_ratio");
    assertThat(result.rows()).isEqualTo(expected);
    assertThat(result).isEqualTo(fromArchive(query));
  }

  /**
   * A boolean and a text attribute in one filter, by UTC day, every empty hour filled with zero.
   */
  @Test
  void samplesWithABooleanOrTextFilterAndFill() throws Exception {
    EventQuery daily =
        EventQuery.sample(
            "purchase",
            START,
            END,
            WhereParser.parse("vip = true or note = \"gift\""),
            SampleBy.parse("1d"),
            ZoneOffset.UTC,
            Fill.NONE,
            Aggregate.parseList("count(), sum(amount)"));

    assertThat(onBigQuery(daily).rows())
        .containsExactly(Arrays.asList(Instant.parse("2026-11-07T00:00:00Z"), 2L, 27.0));

    EventQuery filled =
        EventQuery.sample(
            "purchase",
            START,
            END,
            WhereParser.parse("vip = true or note = \"gift\""),
            SampleBy.parse("1h"),
            ZoneOffset.UTC,
            Fill.ZERO,
            Aggregate.parseList("count()"));
    QueryResult result = onBigQuery(filled);
    assertThat(result.rows()).extracting(row -> row.get(1)).containsExactly(0L, 1L, 0L, 0L, 1L, 0L);
    assertThat(result).isEqualTo(fromArchive(filled));
  }

  private static QueryResult onBigQuery(EventQuery query) throws Exception {
    Map<String, String> environment =
        Map.of(BigQueryEventStore.EMULATOR_HOST_ENV, EMULATOR.getEmulatorHttpEndpoint());
    try (BigQueryEventStore store = BigQueryEventStore.of(table, environment::get)) {
      return EventQueries.run(store, query);
    }
  }

  private static QueryResult fromArchive(EventQuery query) throws Exception {
    try (ArchiveEventStore store = ArchiveEventStore.of(archive)) {
      return EventQueries.run(store, query);
    }
  }

  /** The listing's rows for the purchases in range that {@code matches}, computed from EVENTS. */
  private static List<List<Object>> listing(Predicate<Event> matches, int limit) {
    return purchasesInRange()
        .filter(matches)
        .sorted(
            Comparator.comparing(BigQueryEmulatorContainerTest::instant)
                .thenComparing(Event::getId))
        .limit(limit)
        .map(
            e ->
                Arrays.<Object>asList(
                    instant(e), e.getId(), e.getType(), e.getSource(), customer(e), attributes(e)))
        .toList();
  }

  /** The purchases in range by the start of their hour in {@code zone}. */
  private static TreeMap<Instant, List<Event>> hourly(ZoneId zone) {
    TreeMap<Instant, List<Event>> buckets = new TreeMap<>();
    purchasesInRange()
        .forEach(
            e ->
                buckets
                    .computeIfAbsent(
                        instant(e).atZone(zone).truncatedTo(ChronoUnit.HOURS).toInstant(),
                        start -> new ArrayList<>())
                    .add(e));
    return buckets;
  }

  private static Stream<Event> purchasesInRange() {
    return EVENTS.stream()
        .filter(e -> e.getType().equals("purchase"))
        .filter(e -> !instant(e).isBefore(START) && instant(e).isBefore(END));
  }

  /** An event's attributes as a listing prints them: integers as Long, floats as Double. */
  private static Map<String, Object> attributes(Event e) {
    Map<String, Object> out = new LinkedHashMap<>();
    new TreeMap<>(e.getAttributesMap())
        .forEach(
            (key, value) ->
                out.put(
                    key,
                    switch (value.getValueCase()) {
                      case INT_VALUE -> (Object) value.getIntValue();
                      case FLOAT_VALUE -> (Object) value.getFloatValue();
                      case BOOL_VALUE -> (Object) value.getBoolValue();
                      case STRING_VALUE -> (Object) value.getStringValue();
                      default ->
                          throw new IllegalArgumentException("not among the events: " + value);
                    }));
    return out;
  }

  private static double amount(Event e) {
    AttributeValue amount = e.getAttributesMap().get("amount");
    return amount.hasFloatValue() ? amount.getFloatValue() : amount.getIntValue();
  }

  private static String customer(Event e) {
    return e.hasCustomer() ? e.getCustomer().getValue() : null;
  }

  private static Instant instant(Event e) {
    return Instant.ofEpochSecond(e.getTimestamp().getSeconds(), e.getTimestamp().getNanos());
  }

  private static Event purchase(
      String id, String at, String customer, Map<String, AttributeValue> attributes) {
    return ArchiveFixture.event(id, "purchase", Instant.parse(at), customer, attributes);
  }

  private static AttributeValue of(long value) {
    return AttributeValues.of(value);
  }

  /**
   * The events table's columns from the schema file the ingest job and Terraform create it with.
   */
  private static List<Field> fields(JsonNode columns) {
    List<Field> fields = new ArrayList<>();
    for (JsonNode column : columns) {
      String name = column.get("name").asText();
      LegacySQLTypeName type = LegacySQLTypeName.valueOfStrict(column.get("type").asText());
      Field.Builder field =
          column.has("fields")
              ? Field.newBuilder(name, type, FieldList.of(fields(column.get("fields"))))
              : Field.newBuilder(name, type);
      fields.add(field.setMode(Field.Mode.valueOf(column.get("mode").asText())).build());
    }
    return fields;
  }
}
