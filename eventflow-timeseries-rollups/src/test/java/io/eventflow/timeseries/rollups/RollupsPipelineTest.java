package io.eventflow.timeseries.rollups;

import static io.eventflow.timeseries.rollups.Events.event;
import static io.eventflow.timeseries.rollups.Events.num;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.pb.Event;
import io.eventflow.testing.ArchiveFiles;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRows;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessageWithAttributesAndMessageIdCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.TimestampedValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole job, built from parsed command-line options and run on the DirectRunner. */
class RollupsPipelineTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
  private static final Instant RECEIVED = Instant.parse("2025-03-01T10:30:00Z");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /**
   * Protobuf and JSON messages, a duplicate and an undecodable message go through the job into a
   * real H2 file; reading back through the store gives exact counts, sums and the catalog, and the
   * undecodable message is in the archive's dead letters with its reason, as ingest writes them.
   */
  @Test
  void jobBuiltFromParsedOptionsWritesTheEmbeddedStore() throws StoreException, IOException {
    String url = "jdbc:h2:file:" + dir.resolve("intervals");
    RollupsPipeline.Options options =
        parse(
            "--subscription=projects/p/subscriptions/validated",
            "--store=" + url,
            "--rollups=purchase:sum:amount, purchase:max:amount",
            "--flushIntervalSeconds=1",
            "--dedupWindowMinutes=5",
            "--rowIdSalt=test-run",
            "--archiveLocation=" + dir.resolve("warehouse"),
            "--archiveRunId=run1");

    List<TimestampedValue<PubsubMessage>> messages = new ArrayList<>();
    Event a =
        event("a", "purchase", "acme", T0.plusSeconds(1)).putAttributes("amount", num(10)).build();
    Event b =
        event("b", "purchase", null, T0.plusSeconds(2)).putAttributes("amount", num(4)).build();
    Event c =
        event("c", "purchase", "acme", T0.plusSeconds(61))
            .putAttributes("amount", num(1.5))
            .build();
    messages.add(proto(a, "m1"));
    messages.add(proto(a, "m2")); // the same event published twice
    messages.add(json(b, "m3"));
    messages.add(proto(c, "m4"));
    messages.add(
        TimestampedValue.of(
            new PubsubMessage(
                "not protobuf".getBytes(StandardCharsets.UTF_8), Map.of("origin", "test"), "m5"),
            joda(T0)));

    RollupsPipeline.Services services =
        new RollupsPipeline.Services(
            Clock.fixed(RECEIVED, ZoneOffset.UTC),
            () -> "unused",
            Create.timestamped(messages)
                .withCoder(PubsubMessageWithAttributesAndMessageIdCoder.of()),
            null,
            null);
    PipelineResult result = RollupsPipeline.create(options, services).run();
    assertThat(result.waitUntilFinish(org.joda.time.Duration.standardMinutes(2)))
        .isEqualTo(PipelineResult.State.DONE);

    try (JdbcIntervalStore store = JdbcIntervalStore.open(url, Clock.systemUTC())) {
      Instant end = T0.plusSeconds(3600);
      assertThat(sum(store.readIntervals("purchase.count", Resolution.MINUTE, T0, end)))
          .containsExactly(3, 3);
      assertThat(sum(store.readIntervals("purchase.acme.count", Resolution.MINUTE, T0, end)))
          .containsExactly(2, 2);
      assertThat(sum(store.readIntervals("purchase.amount.sum", Resolution.QUARTER_HOUR, T0, end)))
          .containsExactly(15.5, 3);
      assertThat(
              store.readIntervals("purchase.acme.amount.max", Resolution.MINUTE, T0, end).value(0))
          .isEqualTo(10.0);
      assertThat(store.series("purchase.acme.count"))
          .contains(
              new SeriesInfo("purchase.acme.count", AggregateFunction.SUM, T0, T0.plusSeconds(60)));
      assertThat(store.listSeries("purchase.", 100, "").series())
          .extracting(SeriesInfo::name)
          .containsExactly(
              "purchase.acme.amount.max",
              "purchase.acme.amount.sum",
              "purchase.acme.count",
              "purchase.amount.max",
              "purchase.amount.sum",
              "purchase.count");
    }

    // Exactly one dead letter, in ingest's folder and row shape, in a file of this job's own.
    Map<Path, List<JsonNode>> deadLetters = archived(dir.resolve("warehouse"), "invalid");
    assertThat(deadLetters.keySet())
        .singleElement()
        .satisfies(
            file -> {
              assertThat(file.getParent().getFileName()).hasToString("dt=2025-03-01");
              assertThat(file.getFileName().toString()).startsWith("part-run1-rollups-");
            });
    JsonNode row = deadLetters.values().iterator().next().get(0);
    assertThat(deadLetters.values().iterator().next()).hasSize(1);
    assertThat(row.get("message_id").asText()).isEqualTo("m5");
    assertThat(row.get("reason").asText()).isEqualTo("MALFORMED_PROTOBUF");
    assertThat(row.get("message").asText()).startsWith("rollups: payload is not a protobuf event");
    assertThat(row.get("received_at").asText()).isEqualTo("2025-03-01T10:30:00.000000Z");
    assertThat(row.get("attributes").toString()).contains("origin", "test");
    assertThat(
            new String(
                Base64.getDecoder().decode(row.get("payload").asText()), StandardCharsets.UTF_8))
        .isEqualTo("not protobuf");
  }

  /**
   * By-plan rollups end to end: the plan comes from ingest's enrichment of one event and from the
   * own attribute of another, a third event has none, and with --maxDimensionValues=1 the second
   * plan goes to __other__; the store holds exact per-plan counts and sums whose total is the total
   * of the events with a plan.
   */
  @Test
  void byPlanRollupsAreExactPerPlanWithTheOverflowUnderOther() throws StoreException {
    String url = "jdbc:h2:file:" + dir.resolve("intervals");
    RollupsPipeline.Options options =
        parse(
            "--subscription=projects/p/subscriptions/validated",
            "--store=" + url,
            "--rollups=purchase:sum:amount:by=plan,purchase:count:by=plan",
            "--maxDimensionValues=1",
            "--flushIntervalSeconds=1",
            "--rowIdSalt=test-run");
    java.util.function.BiFunction<String, String, Event.Builder> enriched =
        (id, plan) ->
            event(id, "purchase", "acme", T0.plusSeconds(1))
                .setEnrichment(
                    io.eventflow.common.pb.Enrichment.newBuilder()
                        .setStatus("enriched")
                        .setKind("customer")
                        .setKey("acme")
                        .putAttributes("plan", io.eventflow.common.AttributeValues.of(plan)));
    List<TimestampedValue<PubsubMessage>> messages =
        List.of(
            proto(enriched.apply("a", "gold").putAttributes("amount", num(10)).build(), "m1"),
            proto(enriched.apply("b", "gold").putAttributes("amount", num(5)).build(), "m2"),
            proto(
                event("c", "purchase", null, T0.plusSeconds(2))
                    .putAttributes("plan", io.eventflow.common.AttributeValues.of("free"))
                    .putAttributes("amount", num(1))
                    .build(),
                "m3"),
            proto(
                event("d", "purchase", null, T0.plusSeconds(3))
                    .putAttributes("amount", num(100))
                    .build(),
                "m4"));

    RollupsPipeline.Services services =
        new RollupsPipeline.Services(
            Clock.fixed(RECEIVED, ZoneOffset.UTC),
            () -> "unused",
            Create.timestamped(messages)
                .withCoder(PubsubMessageWithAttributesAndMessageIdCoder.of()),
            null,
            null);
    // Which of the two plans is admitted depends on the order the runner delivers them in; the
    // other is counted under __other__, whichever it is.
    assertThat(
            RollupsPipeline.create(options, services)
                .run()
                .waitUntilFinish(org.joda.time.Duration.standardMinutes(2)))
        .isEqualTo(PipelineResult.State.DONE);

    try (JdbcIntervalStore store = JdbcIntervalStore.open(url, Clock.systemUTC())) {
      Instant end = T0.plusSeconds(3600);
      List<String> names =
          store.listSeries("purchase.plan=", 100, "").series().stream()
              .map(SeriesInfo::name)
              .toList();
      List<String> counts = names.stream().filter(n -> n.endsWith(".count")).toList();
      assertThat(counts).hasSize(2).contains("purchase.plan=__other__.count");
      assertThat(names).hasSize(4);
      Map<String, Double> count = new java.util.HashMap<>();
      Map<String, Double> amount = new java.util.HashMap<>();
      for (String plan : List.of("gold", "free", "__other__")) {
        count.put(plan, total(store, "purchase.plan=" + plan + ".count", end));
        amount.put(plan, total(store, "purchase.plan=" + plan + ".amount.sum", end));
      }
      // Exact: every event with a plan counted once, under its plan or __other__.
      assertThat(count.values().stream().mapToDouble(Double::doubleValue).sum()).isEqualTo(3);
      assertThat(amount.values().stream().mapToDouble(Double::doubleValue).sum()).isEqualTo(16);
      String overflow = count.get("gold") == 0 ? "gold" : "free";
      Map<String, double[]> expected =
          Map.of("gold", new double[] {2, 15}, "free", new double[] {1, 1});
      assertThat(count.get("__other__")).isEqualTo(expected.get(overflow)[0]);
      assertThat(amount.get("__other__")).isEqualTo(expected.get(overflow)[1]);
      for (String plan : List.of("gold", "free")) {
        if (!plan.equals(overflow)) {
          assertThat(count.get(plan)).as(plan).isEqualTo(expected.get(plan)[0]);
          assertThat(amount.get(plan)).as(plan).isEqualTo(expected.get(plan)[1]);
        }
      }
      assertThat(total(store, "purchase.count", end)).isEqualTo(4);
    }
  }

  /** The combined value of a series' minute rows in [T0, end), 0 when it has none. */
  private static double total(JdbcIntervalStore store, String series, Instant end)
      throws StoreException {
    IntervalRows rows = store.readIntervals(series, Resolution.MINUTE, T0, end);
    double total = 0;
    for (int i = 0; i < rows.size(); i++) {
      total += rows.value(i);
    }
    return total;
  }

  /** Without a dead-letter option the job still runs; undecodable messages are counted only. */
  @Test
  void deadLettersAreOptional() {
    RollupsPipeline.Options options =
        parse("--subscription=projects/p/subscriptions/s", "--store=jdbc:h2:mem:x");
    assertThat(RollupsPipeline.validate(options)).isNotNull();
  }

  @Test
  void deadLetterOptionsAreCheckedAsIngestChecksThem() {
    RollupsPipeline.Options options =
        parse(
            "--subscription=projects/p/subscriptions/s",
            "--store=jdbc:h2:mem:x",
            "--bigQueryDataset=no-dashes",
            "--archiveLocation=/tmp/a",
            "--archiveWindowMinutes=0",
            "--checkpointedWrites=true",
            "--rowIdSalt=s");
    assertThatThrownBy(() -> RollupsPipeline.run(options))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--bigQueryDataset may hold only letters, digits and underscores")
        .hasMessageContaining("--bigQueryDataset needs a project")
        .hasMessageContaining("--archiveWindowMinutes must be positive")
        .hasMessageContaining("--checkpointedWrites needs a fixed --archiveRunId");
  }

  /** Every row of the gzip JSON-lines files under {@code archive/folder}, by file. */
  static Map<Path, List<JsonNode>> archived(Path archive, String folder) throws IOException {
    Map<Path, List<JsonNode>> rows = new TreeMap<>();
    for (Map.Entry<Path, List<String>> file :
        ArchiveFiles.jsonLines(archive.resolve(folder)).entrySet()) {
      List<JsonNode> parsed = new ArrayList<>();
      for (String line : file.getValue()) {
        parsed.add(JSON.readTree(line));
      }
      rows.put(archive.relativize(file.getKey()), parsed);
    }
    return rows;
  }

  @Test
  void badRollupSpecFailsTheLaunchNamingTheEntry() {
    RollupsPipeline.Options options =
        parse(
            "--subscription=projects/p/subscriptions/s",
            "--store=jdbc:h2:mem:x",
            "--rollups=purchase:sum:amount,purchase:average:amount");
    assertThatThrownBy(() -> RollupsPipeline.run(options))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("entry 2 \"purchase:average:amount\"");
  }

  @Test
  void everyOptionProblemIsReportedAtOnce() {
    RollupsPipeline.Options options =
        parse("--store=spanner", "--flushIntervalSeconds=0", "--dedupWindowMinutes=0");
    assertThatThrownBy(() -> RollupsPipeline.run(options))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--subscription is required")
        .hasMessageContaining("--flushIntervalSeconds must be at least 1")
        .hasMessageContaining("--dedupWindowMinutes must be at least 1")
        .hasMessageContaining("--spannerInstance")
        .hasMessageContaining("--spannerDatabase");
  }

  @Test
  void unknownStoreIsRejected() {
    RollupsPipeline.Options options =
        parse("--subscription=projects/p/subscriptions/s", "--store=jdbc:sqlite:/tmp/x.db");
    assertThatThrownBy(() -> RollupsPipeline.run(options))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--store must be \"spanner\" or a jdbc:h2: URL");
  }

  static RollupsPipeline.Options parse(String... args) {
    PipelineOptionsFactory.register(RollupsPipeline.Options.class);
    RollupsPipeline.Options options =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(RollupsPipeline.Options.class);
    return options;
  }

  private static double[] sum(IntervalRows rows) {
    double value = 0;
    double count = 0;
    for (int i = 0; i < rows.size(); i++) {
      value += rows.value(i);
      count += rows.eventCount(i);
    }
    return new double[] {value, count};
  }

  static TimestampedValue<PubsubMessage> proto(Event e, String messageId) {
    return TimestampedValue.of(
        new PubsubMessage(e.toByteArray(), attributes(e, ContentType.PROTOBUF), messageId),
        joda(Instant.ofEpochSecond(e.getTimestamp().getSeconds())));
  }

  private static TimestampedValue<PubsubMessage> json(Event e, String messageId) {
    return TimestampedValue.of(
        new PubsubMessage(EventJson.printBytes(e), attributes(e, ContentType.JSON), messageId),
        joda(Instant.ofEpochSecond(e.getTimestamp().getSeconds())));
  }

  private static Map<String, String> attributes(Event e, ContentType type) {
    return Map.of(
        MessageAttributes.ID, e.getId(),
        MessageAttributes.TYPE, e.getType(),
        MessageAttributes.CONTENT_TYPE, type.mimeType());
  }

  static org.joda.time.Instant joda(Instant instant) {
    return org.joda.time.Instant.ofEpochMilli(instant.toEpochMilli());
  }
}
