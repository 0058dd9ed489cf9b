package io.eventflow.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.services.bigquery.model.TableRow;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryHelpers;
import org.junit.jupiter.api.Test;

class TableRowsTest {
  /** An event with one attribute of every type. */
  static Event everyAttributeType() {
    return TestEvents.event("e-all")
        .clearAttributes()
        .putAttributes("flag", AttributeValues.of(true))
        .putAttributes("count", AttributeValues.of(-42L))
        .putAttributes("ratio", AttributeValues.of(0.25))
        .putAttributes("nan", AttributeValues.of(Double.NaN))
        .putAttributes("name", AttributeValues.of("Zoë"))
        .putAttributes(
            "blob", AttributeValues.of(ByteString.copyFrom(new byte[] {0, 1, (byte) 255})))
        .putAttributes(
            "shipped_at",
            AttributeValues.of(Timestamps.parseUnchecked("2026-02-28T23:59:59.123456789Z")))
        .putAttributes("latency", AttributeValues.of(Durations.fromNanos(1_500_000_999L)))
        .build();
  }

  @Test
  void eventRowHasOneTypedColumnPerAttributeSortedByKey() {
    TableRow row = TableRows.eventRow(everyAttributeType());

    assertThat(row.get("id")).isEqualTo("e-all");
    assertThat(row.get("timestamp")).isEqualTo("2026-03-01T11:00:00.000000Z");
    @SuppressWarnings("unchecked")
    List<TableRow> attributes = (List<TableRow>) row.get("attributes");
    assertThat(attributes)
        .extracting(a -> a.get("key"))
        .containsExactly("blob", "count", "flag", "latency", "name", "nan", "ratio", "shipped_at");
    assertThat(attributes.get(0)).containsEntry("bytes_value", "AAH/");
    assertThat(attributes.get(1)).containsEntry("int_value", -42L);
    assertThat(attributes.get(2)).containsEntry("bool_value", true);
    // Durations in microseconds, truncated like every BigQuery time value.
    assertThat(attributes.get(3)).containsEntry("duration_micros", 1_500_000L);
    assertThat(attributes.get(4)).containsEntry("string_value", "Zoë");
    // JSON has no NaN literal; BigQuery reads the string.
    assertThat(attributes.get(5)).containsEntry("float_value", "NaN");
    assertThat(attributes.get(6)).containsEntry("float_value", 0.25);
    assertThat(attributes.get(7)).containsEntry("timestamp_value", "2026-02-28T23:59:59.123456Z");
    attributes.forEach(a -> assertThat(a).hasSize(2));
  }

  /**
   * The archive's JSON lines are BigQuery's JSON of the same rows: every attribute type, a row
   * without a customer and an invalid-message row.
   */
  @Test
  void jsonLineIsBigQuerysJsonOfTheRow() throws Exception {
    List<TableRow> rows =
        List.of(
            TableRows.eventRow(everyAttributeType()),
            TableRows.eventRow(TestEvents.event("e").clearCustomer().build()),
            TableRows.invalidMessageRow(
                InvalidMessage.newBuilder()
                    .setMessageId("m-1")
                    .setReceivedAt(Timestamps.parseUnchecked("2026-03-01T12:00:00Z"))
                    .setReason(InvalidReason.MALFORMED_PROTOBUF)
                    .setMessage("the event has no id \"quoted\" \u2028 and a tab\t")
                    .setPayload(ByteString.copyFromUtf8("{\"type\":\"x\"}"))
                    .putAttributes("content-type", "application/json")
                    .build()));

    ObjectMapper json = new ObjectMapper();
    for (TableRow row : rows) {
      String line = TableRows.jsonLine(row);
      assertThat(line).doesNotContain("\n");
      // The same JSON value; the text differs only where Google's library escapes U+2028 for
      // JavaScript, which JSON does not require.
      assertThat(json.readTree(line)).isEqualTo(json.readTree(BigQueryHelpers.toJsonString(row)));
      // Byte for byte what Jackson's object mapper writes for the row, which lines archived
      // before the streaming writer hold.
      assertThat(line).isEqualTo(json.writeValueAsString(row));
    }
    assertThat(TableRows.jsonLine(rows.get(0)))
        .isEqualTo(BigQueryHelpers.toJsonString(rows.get(0)));
  }

  /**
   * Values a row read back by BigQuery's coder may hold besides the ones this class writes are
   * written as Jackson's object mapper writes them.
   */
  @Test
  void jsonLineWritesOtherValuesAsTheObjectMapper() throws Exception {
    TableRow row =
        new TableRow()
            .set("decimal", new java.math.BigDecimal("1.50"))
            .set("float", 0.1f)
            .set("int", 7)
            .set("none", null)
            .set("nested", java.util.Map.of("list", List.of(1L, "two", true)));

    assertThat(TableRows.jsonLine(row)).isEqualTo(new ObjectMapper().writeValueAsString(row));
  }

  @Test
  void eventWithoutCustomerHasNoCustomerColumn() {
    assertThat(TableRows.eventRow(TestEvents.event("e").clearCustomer().build()))
        .doesNotContainKey("customer");
  }

  @Test
  void invalidRowKeepsTheMessageWhole() {
    Event event = TestEvents.event("e-1").clearAttributes().build();
    InvalidMessage invalid =
        InvalidMessage.newBuilder()
            .setMessageId("m-1")
            .putAttributes("event.id", "e-1")
            .putAttributes("content-type", "application/json")
            .setPayload(ByteString.copyFrom("{\"id\":\"e-1\"}", StandardCharsets.UTF_8))
            .setReceivedAt(Timestamp.newBuilder().setSeconds(1_772_366_400L).setNanos(1000))
            .setReason(InvalidReason.NO_ATTRIBUTES)
            .setMessage("event has no attributes")
            .setEvent(event)
            .build();

    TableRow row = TableRows.invalidMessageRow(invalid);

    assertThat(row.get("message_id")).isEqualTo("m-1");
    assertThat(row.get("received_at")).isEqualTo("2026-03-01T12:00:00.000001Z");
    assertThat(row.get("reason")).isEqualTo("NO_ATTRIBUTES");
    assertThat(row.get("message")).isEqualTo("event has no attributes");
    assertThat(row.get("attributes"))
        .isEqualTo(
            List.of(
                new TableRow().set("key", "content-type").set("value", "application/json"),
                new TableRow().set("key", "event.id").set("value", "e-1")));
    assertThat(row.get("payload")).isEqualTo("eyJpZCI6ImUtMSJ9");
    assertThat((String) row.get("event")).startsWith("{\"id\":\"e-1\"");
    assertThat(row).doesNotContainKey("rejected_row");
  }

  @Test
  void invalidRowOfAnEventWithAnUnprintableTimestampStillHasThePayload() {
    Event event =
        TestEvents.event("e-1")
            .setTimestamp(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE))
            .build();
    InvalidMessage invalid =
        InvalidMessage.newBuilder()
            .setPayload(event.toByteString())
            .setReceivedAt(Timestamp.newBuilder().setSeconds(1_772_366_400L))
            .setReason(InvalidReason.INVALID_TIMESTAMP)
            .setEvent(event)
            .build();

    TableRow row = TableRows.invalidMessageRow(invalid);

    assertThat(row).doesNotContainKey("event").doesNotContainKey("message_id");
    assertThat(row.get("payload")).isNotNull();
  }

  @Test
  void enrichmentIsOneNullableRecordAfterTheFirstReleasesColumns() {
    Event enriched =
        TestEvents.event("e-1")
            .setEnrichment(
                io.eventflow.common.pb.Enrichment.newBuilder()
                    .setStatus("stale")
                    .setKind("customer")
                    .setKey("customer-7")
                    .putAttributes("region", AttributeValues.of("eu"))
                    .putAttributes("plan", AttributeValues.of("gold")))
            .build();

    TableRow row = TableRows.eventRow(enriched);

    assertThat(row.get("enrichment"))
        .isEqualTo(
            new TableRow()
                .set("status", "stale")
                .set("kind", "customer")
                .set("key", "customer-7")
                .set(
                    "attributes",
                    List.of(
                        new TableRow().set("key", "plan").set("string_value", "gold"),
                        new TableRow().set("key", "region").set("string_value", "eu"))));
    assertThat(TableRows.eventRow(TestEvents.event("e-1").build())).doesNotContainKey("enrichment");
    com.google.api.services.bigquery.model.TableFieldSchema column =
        TableSchemas.events().getFields().get(6);
    assertThat(column.getMode()).isEqualTo("NULLABLE");
    assertThat(column.getFields())
        .extracting(f -> f.getName())
        .containsExactly("status", "kind", "key", "attributes");
  }

  @Test
  void schemaFilesDescribeEveryColumnTheRowsUse() {
    assertThat(TableSchemas.events().getFields())
        .extracting(f -> f.getName())
        .containsExactly(
            "id", "type", "source", "customer", "timestamp", "attributes", "enrichment");
    assertThat(TableSchemas.invalidMessages().getFields())
        .extracting(f -> f.getName())
        .containsExactlyInAnyOrder(
            "message_id",
            "received_at",
            "reason",
            "message",
            "attributes",
            "payload",
            "event",
            "rejected_row");
  }
}
