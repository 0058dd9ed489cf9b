package io.eventflow.ingest;

import static io.eventflow.ingest.IngestHarness.at;
import static io.eventflow.ingest.IngestHarness.column;
import static io.eventflow.ingest.IngestHarness.counter;
import static io.eventflow.ingest.IngestHarness.message;
import static io.eventflow.ingest.IngestHarness.stream;
import static io.eventflow.ingest.TestEvents.NOW;
import static io.eventflow.ingest.TestEvents.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.services.bigquery.model.TableFieldSchema;
import com.google.api.services.bigquery.model.TableRow;
import com.google.api.services.bigquery.model.TableSchema;
import com.google.protobuf.StringValue;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.ContentType;
import io.eventflow.common.pb.Enrichment;
import io.eventflow.common.pb.Entity;
import io.eventflow.common.pb.Event;
import io.eventflow.enrichment.EnrichmentStatus;
import io.eventflow.timeseries.store.jdbc.JdbcEntityStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.OutgoingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestStream;
import org.joda.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The job with --enrichBy=customer against a real embedded entities table. */
class IngestEnrichmentTest {
  private static final Instant T0 = Instant.ofEpochMilli(NOW.minusSeconds(120).toEpochMilli());

  private static final Event KNOWN = event("e-1").build(); // customer-7: a gold customer
  private static final Event UNKNOWN =
      event("e-2").setCustomer(StringValue.of("customer-unknown")).build();
  private static final Event ANONYMOUS = event("e-3").clearCustomer().build();

  @TempDir Path directory;
  private String entities;

  @BeforeEach
  void loadEntities() throws Exception {
    entities = "jdbc:h2:file:" + directory.resolve("entities");
    try (JdbcEntityStore store = JdbcEntityStore.open(entities, Clock.systemUTC())) {
      store.upsert(
          List.of(
              Entity.newBuilder()
                  .setKind("customer")
                  .setKey("customer-7")
                  .putAttributes("plan", AttributeValues.of("gold"))
                  .putAttributes("seats", AttributeValues.of(12L))
                  .build()));
    }
  }

  private static TestStream<PubsubMessage> messages() {
    return stream()
        .advanceWatermarkTo(T0)
        .addElements(
            at(T0, message("m-1", KNOWN, ContentType.JSON)),
            at(T0, message("m-2", UNKNOWN, ContentType.PROTOBUF)),
            at(T0, message("m-3", ANONYMOUS, ContentType.PROTOBUF)))
        .advanceWatermarkToInfinity();
  }

  private static Event enriched(Event event, String status, String key, Map<String, ?> plan) {
    Enrichment.Builder e = Enrichment.newBuilder().setStatus(status).setKind("customer");
    if (key != null) {
      e.setKey(key);
    }
    if (!plan.isEmpty()) {
      e.putAttributes("plan", AttributeValues.of("gold"));
      e.putAttributes("seats", AttributeValues.of(12L));
    }
    return event.toBuilder().setEnrichment(e).build();
  }

  private static List<OutgoingMessage> republishedEnriched() {
    return List.of(
        IngestHarness.republished(enriched(KNOWN, "enriched", "customer-7", Map.of("p", 1)), T0),
        IngestHarness.republished(enriched(UNKNOWN, "not_found", "customer-unknown", Map.of()), T0),
        IngestHarness.republished(enriched(ANONYMOUS, "no_key", null, Map.of()), T0));
  }

  private IngestHarness harness(BigQueryTable.WriteMethod method) throws Exception {
    IngestHarness harness = new IngestHarness(directory);
    return harness.with(
        "--bigQueryDataset=" + IngestHarness.DATASET,
        "--bigQueryWriteMethod=" + method,
        "--archiveLocation=" + harness.archive(),
        "--enrichBy=customer",
        "--entityStore=" + entities);
  }

  @ParameterizedTest
  @EnumSource(BigQueryTable.WriteMethod.class)
  void everyEventComesOutWithItsEnrichmentInBigQueryTheArchiveAndPubSub(
      BigQueryTable.WriteMethod method) throws Exception {
    IngestHarness harness = harness(method);

    // The fake topic fails the run on any message but these: enriched payloads and attributes.
    PipelineResult result = harness.run(messages(), republishedEnriched());

    Map<String, TableRow> rows =
        harness.rows("events").stream()
            .collect(Collectors.toMap(r -> (String) r.get("id"), r -> r));
    assertThat(rows).containsOnlyKeys("e-1", "e-2", "e-3");
    Map<?, ?> gold = (Map<?, ?>) rows.get("e-1").get("enrichment");
    assertThat(gold.get("status")).isEqualTo("enriched");
    assertThat(gold.get("kind")).isEqualTo("customer");
    assertThat(gold.get("key")).isEqualTo("customer-7");
    List<?> attributes = (List<?>) gold.get("attributes");
    assertThat(attributes.stream().map(a -> (Object) ((Map<?, ?>) a).get("key")).toList())
        .containsExactly("plan", "seats");
    assertThat(((Map<?, ?>) attributes.get(0)).get("string_value")).isEqualTo("gold");
    assertThat(((Map<?, ?>) rows.get("e-2").get("enrichment")).get("status"))
        .isEqualTo("not_found");
    assertThat(((Map<?, ?>) rows.get("e-3").get("enrichment")).get("status")).isEqualTo("no_key");
    assertThat(harness.deadLetters()).isEmpty();

    List<TableRow> archived = harness.archivedRows().get("valid/dt=2026-03-01/type=purchase");
    assertThat(archived).hasSize(3);
    TableRow archivedGold =
        archived.stream().filter(r -> "e-1".equals(r.get("id"))).findFirst().orElseThrow();
    assertThat(((Map<?, ?>) archivedGold.get("enrichment")).get("status")).isEqualTo("enriched");

    assertThat(counter(result, "enrichment." + EnrichmentStatus.ENRICHED.label())).isEqualTo(1);
    assertThat(counter(result, "enrichment." + EnrichmentStatus.NOT_FOUND.label())).isEqualTo(1);
    assertThat(counter(result, "enrichment." + EnrichmentStatus.NO_KEY.label())).isEqualTo(1);
    assertThat(counter(result, "enrichment." + EnrichmentStatus.UNAVAILABLE.label())).isZero();
  }

  @ParameterizedTest
  @EnumSource(BigQueryTable.WriteMethod.class)
  void aTableCreatedBeforeTheEnrichmentColumnKeepsTakingEveryRow(BigQueryTable.WriteMethod method)
      throws Exception {
    TableSchema before =
        new TableSchema()
            .setFields(
                TableSchemas.events().getFields().stream()
                    .filter(f -> !f.getName().equals("enrichment"))
                    .toList());
    IngestHarness harness = harness(method);
    harness.createTable("events", before);

    PipelineResult result = harness.run(messages(), republishedEnriched());

    // Nothing rejected, nothing dead-lettered: the rows land, without the column the table lacks
    // (Storage Write API), or with it added by the load job (file loads).
    assertThat(column(harness.rows("events"), r -> r.get("id")))
        .containsExactlyInAnyOrder("e-1", "e-2", "e-3");
    assertThat(harness.deadLetters()).isEmpty();
    List<String> columns =
        harness.table("events").getSchema().getFields().stream()
            .map(TableFieldSchema::getName)
            .toList();
    if (method == BigQueryTable.WriteMethod.FILE_LOADS) {
      // The load jobs carry the enrichment (BigQuery adds the column: ALLOW_FIELD_ADDITION, which
      // Beam's fake job service does not model, so its table keeps the old column list).
      assertThat(harness.rows("events")).allSatisfy(r -> assertThat(r).containsKey("enrichment"));
    } else {
      assertThat(columns).doesNotContain("enrichment");
      assertThat(harness.rows("events"))
          .allSatisfy(r -> assertThat(r).doesNotContainKey("enrichment"));
    }
    assertThat(counter(result, "enrichment.enriched")).isEqualTo(1);
  }

  @Test
  void whenTheStoreFailsEveryEventGoesOnUnenrichedFlaggedUnavailableAndCounted() throws Exception {
    // The table is there but no read of it succeeds: to the lookup, a store that is down. Nothing
    // was looked up before, so there is no last known entity to serve as stale.
    try (Connection c = DriverManager.getConnection(entities, "sa", "");
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE entities");
      s.execute("CREATE TABLE entities (kind VARCHAR(64) NOT NULL)");
    }
    IngestHarness harness = harness(BigQueryTable.WriteMethod.STORAGE_WRITE_API);

    // The fake topic fails the run on any message but these: all three, none dropped.
    PipelineResult result =
        harness.run(
            messages(),
            List.of(
                IngestHarness.republished(
                    enriched(KNOWN, "unavailable", "customer-7", Map.of()), T0),
                IngestHarness.republished(
                    enriched(UNKNOWN, "unavailable", "customer-unknown", Map.of()), T0),
                IngestHarness.republished(enriched(ANONYMOUS, "no_key", null, Map.of()), T0)));

    Map<String, Object> statuses =
        harness.rows("events").stream()
            .collect(
                Collectors.toMap(
                    r -> (String) r.get("id"),
                    r -> ((Map<?, ?>) r.get("enrichment")).get("status")));
    assertThat(statuses)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("e-1", "unavailable", "e-2", "unavailable", "e-3", "no_key"));
    assertThat(harness.deadLetters()).isEmpty();
    assertThat(counter(result, "enrichment." + EnrichmentStatus.UNAVAILABLE.label())).isEqualTo(2);
    assertThat(counter(result, "enrichment." + EnrichmentStatus.NO_KEY.label())).isEqualTo(1);
    assertThat(counter(result, "enrichment." + EnrichmentStatus.ENRICHED.label())).isZero();
  }

  @Test
  void aPublisherCannotSetItsOwnEnrichment() throws Exception {
    Event forged =
        event("e-9")
            .setEnrichment(Enrichment.newBuilder().setStatus("enriched").setKind("customer"))
            .build();
    IngestHarness harness = new IngestHarness(directory);
    harness.with("--archiveLocation=" + harness.archive());

    harness.run(
        stream()
            .addElements(at(T0, message("m-9", forged, ContentType.PROTOBUF)))
            .advanceWatermarkToInfinity(),
        List.of(IngestHarness.republished(forged.toBuilder().clearEnrichment().build(), T0)));

    TableRow row = harness.archivedRows().get("valid/dt=2026-03-01/type=purchase").get(0);
    assertThat(row.containsKey("enrichment")).isFalse();
  }

  @Test
  void badEnrichmentOptionsAreNamedOnePerLine() {
    IngestPipeline.Options options =
        PipelineOptionsFactory.fromArgs(
                "--inputSubscription=projects/p/subscriptions/s",
                "--archiveLocation=/tmp/a",
                "--enrichBy=attribute:region",
                "--enrichTtlSeconds=0")
            .as(IngestPipeline.Options.class);
    assertThatThrownBy(() -> IngestPipeline.validate(options))
        .hasMessage("invalid ingest options:\n  --enrichBy=attribute:region needs --enrichKind");

    options.setEnrichKind("Region");
    assertThatThrownBy(() -> IngestPipeline.validate(options))
        .hasMessage(
            "invalid ingest options:\n"
                + "  --enrichKind: kind \"Region\": use 1 to 64 lower-case letters, digits, '_' or '-'\n"
                + "  --enrichBy needs --entityStore, the table entities are looked up in\n"
                + "  --enrichTtlSeconds and --enrichNegativeTtlSeconds must be positive");

    options.setEnrichBy("plan");
    assertThatThrownBy(() -> IngestPipeline.validate(options))
        .hasMessage(
            "invalid ingest options:\n"
                + "  --enrichBy must be customer, source or attribute:NAME, got 'plan'");
  }

  @Test
  void keysComeFromTheCustomerTheSourceOrAStringOrIntAttribute() {
    IngestPipeline.Options options =
        PipelineOptionsFactory.fromArgs("--enrichBy=attribute:seller", "--enrichKind=seller")
            .as(IngestPipeline.Options.class);
    EnrichEvents.Config byAttribute = EnrichEvents.Config.of(options);
    assertThat(
            byAttribute.keyOf(event("e").putAttributes("seller", AttributeValues.of(42L)).build()))
        .isEqualTo("42");
    assertThat(
            byAttribute.keyOf(
                event("e").putAttributes("seller", AttributeValues.of("s-1")).build()))
        .isEqualTo("s-1");
    assertThat(
            byAttribute.keyOf(event("e").putAttributes("seller", AttributeValues.of(true)).build()))
        .isNull();
    assertThat(byAttribute.keyOf(event("e").build())).isNull();

    options.setEnrichBy("source");
    options.setEnrichKind("");
    EnrichEvents.Config bySource = EnrichEvents.Config.of(options);
    assertThat(bySource.kind()).isEqualTo("source");
    assertThat(bySource.keyOf(event("e").build())).isEqualTo("checkout-service");

    options.setEnrichBy("customer");
    EnrichEvents.Config byCustomer = EnrichEvents.Config.of(options);
    assertThat(byCustomer.keyOf(event("e").setCustomer(StringValue.of(" ")).build())).isNull();
  }
}
