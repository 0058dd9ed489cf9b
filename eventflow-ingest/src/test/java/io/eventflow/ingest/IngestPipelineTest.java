package io.eventflow.ingest;

import static io.eventflow.ingest.IngestHarness.at;
import static io.eventflow.ingest.IngestHarness.column;
import static io.eventflow.ingest.IngestHarness.counter;
import static io.eventflow.ingest.IngestHarness.message;
import static io.eventflow.ingest.IngestHarness.republished;
import static io.eventflow.ingest.IngestHarness.stream;
import static io.eventflow.ingest.TestEvents.NOW;
import static io.eventflow.ingest.TestEvents.event;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.services.bigquery.model.Table;
import com.google.api.services.bigquery.model.TableRow;
import io.eventflow.common.ContentType;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.testing.TestStream;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The whole job on the DirectRunner, built from command-line options. */
class IngestPipelineTest {
  private static final Instant T0 = Instant.ofEpochMilli(NOW.minusSeconds(120).toEpochMilli());

  private static final Event PURCHASE = event("e-1").build();

  /** Carries every attribute type, so each typed column goes through both write paths. */
  private static final Event SIGNUP =
      TableRowsTest.everyAttributeType().toBuilder()
          .setId("e-2")
          .setType("signup")
          .clearCustomer()
          .setSource("auth-service")
          .build();

  /** Valid for ingest, but the fake BigQuery rejects its row (think: a column BigQuery refuses). */
  private static final Event REJECTED = event("e-3").setSource("rejected-by-bigquery").build();

  private static final Event NO_TIMESTAMP = event("e-4").clearTimestamp().build();

  @TempDir Path directory;

  /**
   * One stream exercising every path: a JSON and a protobuf event, a redelivery of the first, an
   * event BigQuery rejects, an event breaking a rule and bytes that are no event at all.
   */
  private static TestStream<PubsubMessage> mixedMessages() {
    return stream()
        .advanceWatermarkTo(T0)
        .addElements(
            at(T0, message("m-1", PURCHASE, ContentType.JSON)),
            at(T0, message("m-2", SIGNUP, ContentType.PROTOBUF)),
            at(T0, message("m-3", REJECTED, ContentType.PROTOBUF)),
            at(T0, message("m-4", NO_TIMESTAMP, ContentType.JSON)),
            at(
                T0,
                message(
                    "m-5",
                    "not an event".getBytes(StandardCharsets.UTF_8),
                    Map.of(MessageAttributes.ID, "e-5"))))
        // Pub/Sub redelivers m-1 after its ack deadline: same event id, new message id.
        .advanceProcessingTime(Duration.standardSeconds(30))
        .addElements(
            at(T0.plus(Duration.standardSeconds(30)), message("m-6", PURCHASE, ContentType.JSON)))
        .advanceWatermarkToInfinity();
  }

  private static List<org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.OutgoingMessage>
      allValidRepublished() {
    return List.of(republished(PURCHASE, T0), republished(SIGNUP, T0), republished(REJECTED, T0));
  }

  @ParameterizedTest
  @EnumSource(BigQueryTable.WriteMethod.class)
  void validEventsReachTheEventsTableOnceAndEverythingElseTheInvalidTable(
      BigQueryTable.WriteMethod method) throws Exception {
    IngestHarness harness =
        new IngestHarness(directory)
            .with("--bigQueryDataset=" + IngestHarness.DATASET, "--bigQueryWriteMethod=" + method)
            .rejectRows(row -> "rejected-by-bigquery".equals(row.get("source")));

    PipelineResult result = harness.run(mixedMessages(), allValidRepublished());

    List<TableRow> events = harness.rows("events");
    List<TableRow> invalid = harness.rows("invalid_messages");
    if (method == BigQueryTable.WriteMethod.STORAGE_WRITE_API) {
      // The Storage Write API reports the rejected row, which becomes a dead letter.
      assertThat(column(events, r -> r.get("id"))).containsExactlyInAnyOrder("e-1", "e-2");
      assertThat(column(invalid, r -> r.get("reason")))
          .containsExactlyInAnyOrder(
              "MISSING_TIMESTAMP", "MALFORMED_PROTOBUF", "BIGQUERY_INSERT_FAILED");
      TableRow rejected = find(invalid, "reason", "BIGQUERY_INSERT_FAILED");
      assertThat((String) rejected.get("rejected_row")).contains("\"id\":\"e-3\"");
      assertThat((String) rejected.get("message")).contains("e-3");
    } else {
      // Load jobs never reject single rows (the fake applies no row rule to them).
      assertThat(column(events, r -> r.get("id"))).containsExactlyInAnyOrder("e-1", "e-2", "e-3");
      assertThat(column(invalid, r -> r.get("reason")))
          .containsExactlyInAnyOrder("MISSING_TIMESTAMP", "MALFORMED_PROTOBUF");
    }

    TableRow purchase = find(events, "id", "e-1");
    assertThat(purchase.get("type")).isEqualTo("purchase");
    assertThat(purchase.get("source")).isEqualTo("checkout-service");
    assertThat(purchase.get("customer")).isEqualTo("customer-7");
    assertThat(column(attributes(purchase), a -> a.get("key")))
        .containsExactly("amount_cents", "currency");
    TableRow signup = find(events, "id", "e-2");
    assertThat(signup.get("customer")).isNull();
    assertThat(column(attributes(signup), a -> a.get("key")))
        .containsExactlyInAnyOrder(
            "blob", "count", "flag", "latency", "name", "nan", "ratio", "shipped_at");

    TableRow missingTimestamp = find(invalid, "reason", "MISSING_TIMESTAMP");
    assertThat(missingTimestamp.get("message_id")).isEqualTo("m-4");
    assertThat((String) missingTimestamp.get("event")).contains("\"id\":\"e-4\"");
    TableRow garbage = find(invalid, "reason", "MALFORMED_PROTOBUF");
    assertThat(garbage.get("message_id")).isEqualTo("m-5");
    assertThat(garbage.get("event")).isNull();

    // Counted as parsed: e-1, its redelivery and e-3 are all purchases.
    assertThat(counter(result, ParseEvents.validCounterName("purchase"))).isEqualTo(3);
    assertThat(counter(result, ParseEvents.validCounterName("signup"))).isEqualTo(1);
    assertThat(counter(result, ParseEvents.invalidCounterName(InvalidReason.MISSING_TIMESTAMP)))
        .isEqualTo(1);
    assertThat(counter(result, ParseEvents.invalidCounterName(InvalidReason.MALFORMED_PROTOBUF)))
        .isEqualTo(1);
    // BigQuery's rejections are counted apart, for the BigQuery write errors chart (terraform/).
    assertThat(
            counter(result, ParseEvents.invalidCounterName(InvalidReason.BIGQUERY_INSERT_FAILED)))
        .isEqualTo(method == BigQueryTable.WriteMethod.STORAGE_WRITE_API ? 1 : 0);
  }

  @Test
  void jobCreatesPartitionedClusteredTablesFromTheSchemaFiles() throws Exception {
    IngestHarness harness =
        new IngestHarness(directory)
            .with("--bigQueryDataset=" + IngestHarness.DATASET, "--partitionExpirationDays=400");

    // BigQueryIO creates a table with its first row, so both tables get one.
    harness.run(
        stream()
            .addElements(
                at(T0, message("m-1", PURCHASE, ContentType.PROTOBUF)),
                at(T0, message("m-2", NO_TIMESTAMP, ContentType.PROTOBUF)))
            .advanceWatermarkToInfinity(),
        List.of(republished(PURCHASE, T0)));

    Table events = harness.table("events");
    assertThat(events.getTimePartitioning().getField()).isEqualTo("timestamp");
    assertThat(events.getTimePartitioning().getType()).isEqualTo("DAY");
    assertThat(events.getTimePartitioning().getRequirePartitionFilter()).isTrue();
    assertThat(events.getTimePartitioning().getExpirationMs()).isEqualTo(400L * 24 * 3600 * 1000);
    assertThat(events.getClustering().getFields()).containsExactly("type", "source", "customer");
    assertThat(events.getSchema().getFields()).isEqualTo(TableSchemas.events().getFields());
    Table invalid = harness.table("invalid_messages");
    assertThat(invalid.getTimePartitioning().getField()).isEqualTo("received_at");
    assertThat(invalid.getClustering().getFields()).containsExactly("reason");
    assertThat(invalid.getSchema().getFields())
        .isEqualTo(TableSchemas.invalidMessages().getFields());
  }

  @Test
  void archiveOnlyJobWritesValidAndInvalidRowsByDateAndType() throws Exception {
    IngestHarness harness = new IngestHarness(directory);
    harness.with("--archiveLocation=" + harness.archive(), "--archiveShards=2");

    harness.run(mixedMessages(), allValidRepublished());

    Map<String, List<TableRow>> archived = harness.archivedRows();
    assertThat(archived.keySet())
        .containsExactlyInAnyOrder(
            "valid/dt=2026-03-01/type=purchase",
            "valid/dt=2026-03-01/type=signup",
            "invalid/dt=2026-03-01");
    assertThat(column(archived.get("valid/dt=2026-03-01/type=purchase"), r -> r.get("id")))
        .containsExactlyInAnyOrder("e-1", "e-3");
    assertThat(column(archived.get("valid/dt=2026-03-01/type=signup"), r -> r.get("id")))
        .containsExactly("e-2");
    assertThat(column(archived.get("invalid/dt=2026-03-01"), r -> r.get("reason")))
        .containsExactlyInAnyOrder("MISSING_TIMESTAMP", "MALFORMED_PROTOBUF");
    assertThat(harness.archivedFileNames())
        .allSatisfy(name -> assertThat(name).contains("/part-" + IngestHarness.RUN_ID + "-"))
        .doesNotHaveDuplicates();
  }

  /**
   * With --checkpointedWrites (the local stack's Flink) each folder's pane is one file named by the
   * run, window and pane, holding a gzip member per bundle: rows of two bundles in one window read
   * back as one file of every row, as any gzip reader reads it.
   */
  @Test
  void checkpointedArchiveWritesEachPaneAsOneFileOfEveryRow() throws Exception {
    IngestHarness harness = new IngestHarness(directory);
    harness.with(
        "--archiveLocation=" + harness.archive(),
        "--checkpointedWrites",
        "--archiveRunId=" + IngestHarness.RUN_ID);
    Event second = event("e-7").build();

    harness.run(
        stream()
            .advanceWatermarkTo(T0)
            .addElements(
                at(T0, message("m-1", PURCHASE, ContentType.JSON)),
                at(T0, message("m-2", SIGNUP, ContentType.PROTOBUF)),
                at(T0, message("m-4", NO_TIMESTAMP, ContentType.JSON)))
            // A second bundle, in the same arrival window (the test clock stands still).
            .advanceProcessingTime(Duration.standardSeconds(1))
            .addElements(at(T0, message("m-7", second, ContentType.PROTOBUF)))
            .advanceWatermarkToInfinity(),
        List.of(republished(PURCHASE, T0), republished(SIGNUP, T0), republished(second, T0)));

    Map<String, List<TableRow>> archived = harness.archivedRows();
    assertThat(column(archived.get("valid/dt=2026-03-01/type=purchase"), r -> r.get("id")))
        .containsExactlyInAnyOrder("e-1", "e-7");
    assertThat(column(archived.get("valid/dt=2026-03-01/type=signup"), r -> r.get("id")))
        .containsExactly("e-2");
    assertThat(column(archived.get("invalid/dt=2026-03-01"), r -> r.get("reason")))
        .containsExactly("MISSING_TIMESTAMP");
    assertThat(harness.archivedFileNames())
        .hasSize(3)
        .allSatisfy(
            name ->
                assertThat(name)
                    .matches(".*/part-" + IngestHarness.RUN_ID + "-.*-pane-\\d+\\.json\\.gz"));
  }

  /**
   * A row arriving after its archive window closed is still written, in a later pane whose file
   * name differs from the on-time pane's. Rows are stamped with their arrival time (the clock's
   * now), so only a watermark ahead of the clock makes one late, by minutes at most.
   */
  @Test
  void lateRowsAreArchivedInTheirOwnFiles() throws Exception {
    IngestHarness harness = new IngestHarness(directory);
    harness.with("--archiveLocation=" + harness.archive());
    Event late = event("e-late").build();
    long window = Duration.standardMinutes(10).getMillis();
    Instant arrivalWindowEnd = Instant.ofEpochMilli((NOW.toEpochMilli() / window + 1) * window);

    harness.run(
        stream()
            .addElements(at(T0, message("m-1", PURCHASE, ContentType.JSON)))
            // Close the arrival time's 10-minute window (its on-time pane is written), staying
            // within the archive's allowed lateness.
            .advanceWatermarkTo(
                arrivalWindowEnd.plus(ArchiveEvents.ALLOWED_LATENESS.minus(Duration.millis(1))))
            .addElements(at(T0, message("m-2", late, ContentType.JSON)))
            .advanceWatermarkToInfinity(),
        List.of(republished(PURCHASE, T0), republished(late, T0)));

    String folder = "valid/dt=2026-03-01/type=purchase";
    assertThat(column(harness.archivedRows().get(folder), r -> r.get("id")))
        .containsExactlyInAnyOrder("e-1", "e-late");
    assertThat(harness.archivedFileNames()).hasSize(2).doesNotHaveDuplicates();
  }

  /**
   * The job's own ReadMessages step against a fake subscription: what it pulls is parsed, written,
   * republished and acked (closing the fake fails the test on any unacked message).
   */
  @Test
  void jobReadsTheSubscriptionAndAcksEveryMessage() throws Exception {
    IngestHarness harness =
        new IngestHarness(directory)
            .with("--bigQueryDataset=" + IngestHarness.DATASET, "--storageWriteApiCommitSeconds=1");

    harness.runPulling(
        List.of(
            IngestHarness.incoming("m-1", PURCHASE, ContentType.JSON, T0),
            IngestHarness.incoming("m-2", NO_TIMESTAMP, ContentType.PROTOBUF, T0)),
        List.of(republished(PURCHASE, T0)),
        () -> rowCount(harness, "events") == 1 && rowCount(harness, "invalid_messages") == 1);

    assertThat(column(harness.rows("events"), r -> r.get("id"))).containsExactly("e-1");
    TableRow invalid = harness.rows("invalid_messages").get(0);
    assertThat(invalid.get("reason")).isEqualTo("MISSING_TIMESTAMP");
    assertThat(invalid.get("message_id")).isEqualTo("m-2");
  }

  private static int rowCount(IngestHarness harness, String table) {
    try {
      return harness.rows(table).size();
    } catch (Exception e) {
      return 0; // not created yet
    }
  }

  private static TableRow find(List<TableRow> rows, String field, Object value) {
    return rows.stream()
        .filter(r -> value.equals(r.get(field)))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no row with " + field + "=" + value + " in " + rows));
  }

  @SuppressWarnings("unchecked")
  private static List<TableRow> attributes(TableRow row) {
    return ((List<Map<String, Object>>) row.get("attributes"))
        .stream()
            .map(
                m -> {
                  TableRow r = new TableRow();
                  r.putAll(m);
                  return r;
                })
            .toList();
  }
}
