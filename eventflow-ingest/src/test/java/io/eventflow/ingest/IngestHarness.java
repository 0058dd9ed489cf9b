package io.eventflow.ingest;

import com.google.api.client.util.Clock;
import com.google.api.services.bigquery.model.TableRow;
import io.eventflow.common.ContentType;
import io.eventflow.common.pb.Event;
import io.eventflow.testing.ArchiveFiles;
import io.eventflow.testing.Await;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryHelpers;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryTestCaches;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.IncomingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.OutgoingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.SubscriptionPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessageWithAttributesAndMessageIdCoder;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubTestClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubTestClient.PubsubTestClientFactory;
import org.apache.beam.sdk.io.gcp.testing.FakeBigQueryServices;
import org.apache.beam.sdk.io.gcp.testing.FakeDatasetService;
import org.apache.beam.sdk.io.gcp.testing.FakeJobService;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.TimestampedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Runs the whole ingest job on the DirectRunner from command-line options: messages from a
 * TestStream, BigQuery through Beam's fake services, the validated topic through {@link
 * PubsubTestClient}, the archive in a local directory. One place for the wiring every pipeline test
 * shares.
 */
final class IngestHarness {
  static final String PROJECT = "test-project";
  static final String DATASET = "eventflow";
  static final String TOPIC = "projects/test-project/topics/events-validated";
  static final String SUBSCRIPTION = "projects/test-project/subscriptions/events-ingest";
  static final String RUN_ID = "run1";

  private final Path directory;
  private final List<String> args = new ArrayList<>();
  private final FakeDatasetService datasets;
  private final FakeBigQueryServices bigQuery;

  /** Creates a harness keeping temp and archive files under the given directory. */
  IngestHarness(Path directory) throws Exception {
    this.directory = directory;
    FakeDatasetService.setUp();
    BigQueryTestCaches.clear();
    datasets = new FakeDatasetService();
    datasets.createDataset(PROJECT, DATASET, "", "", null);
    bigQuery =
        new FakeBigQueryServices()
            .withDatasetService(datasets)
            .withJobService(new FakeJobService());
    args.add("--runner=DirectRunner");
    args.add("--project=" + PROJECT);
    args.add("--tempLocation=" + directory.resolve("temp"));
    args.add("--inputSubscription=" + SUBSCRIPTION);
    args.add("--validatedTopic=" + TOPIC);
  }

  /** Adds command-line options. */
  IngestHarness with(String... more) {
    args.addAll(List.of(more));
    return this;
  }

  /** Makes the fake BigQuery reject the rows the predicate matches, as BigQuery would. */
  IngestHarness rejectRows(SerializablePredicate predicate) {
    datasets.setShouldFailRow((Function<TableRow, Boolean> & Serializable) predicate::test);
    return this;
  }

  /** A serializable row predicate: the fake services are serialized into the pipeline. */
  interface SerializablePredicate extends Serializable {
    boolean test(TableRow row);
  }

  /** Returns the archive directory. */
  Path archive() {
    return directory.resolve("archive");
  }

  /**
   * Runs the job to completion over the stream, expecting exactly the given messages on the
   * validated topic (publishing any other message fails the run).
   */
  PipelineResult run(TestStream<PubsubMessage> messages, List<OutgoingMessage> republished)
      throws IOException {
    IngestPipeline.Options options =
        PipelineOptionsFactory.fromArgs(args.toArray(String[]::new))
            .withValidation()
            .as(IngestPipeline.Options.class);
    // The fake's state is static: only one test may use it at a time, and it must be released
    // even when the run fails, or every later test fails with "Test still in flight".
    try (PubsubTestClientFactory pubsub =
        PubsubTestClient.createFactoryForPublish(
            PubsubClient.topicPathFromPath(TOPIC), republished, List.of())) {
      IngestPipeline.Services services =
          new IngestPipeline.Services(TestEvents.CLOCK, () -> RUN_ID, messages, pubsub, bigQuery);
      PipelineResult result = IngestPipeline.create(options, services).run();
      result.waitUntilFinish();
      return result;
    }
  }

  /**
   * Runs the job with its real {@code ReadMessages} step pulling the given messages from a fake
   * Pub/Sub subscription, until {@code done} holds or three minutes pass (a guard against a hang,
   * not a timing check); then cancels it (a streaming job never ends by itself). Closing the fake
   * checks that every pulled message was acked and every expected message published.
   */
  void runPulling(
      List<IncomingMessage> incoming, List<OutgoingMessage> republished, Await.Check done)
      throws Exception {
    IngestPipeline.Options options =
        PipelineOptionsFactory.fromArgs(args.toArray(String[]::new))
            .withValidation()
            .as(IngestPipeline.Options.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    // Pull requests are stamped with the read's clock and the fake insists on its own time.
    Clock clock = new FixedClock();
    ACKED.clear();
    try (PubsubTestClientFactory pubsub =
        new AckRecordingFactory(
            PubsubTestClient.createFactoryForPullAndPublish(
                PubsubClient.subscriptionPathFromPath(SUBSCRIPTION),
                PubsubClient.topicPathFromPath(TOPIC),
                clock,
                60,
                incoming,
                republished,
                List.of()))) {
      IngestPipeline.Services services =
          new IngestPipeline.Services(TestEvents.CLOCK, () -> RUN_ID, null, pubsub, bigQuery);
      IngestPipeline.Services withClock =
          new IngestPipeline.Services(
              services.clock(),
              services.ids(),
              pubsub.setClock(IngestPipeline.readMessages(options, services), clock),
              pubsub,
              bigQuery);
      PipelineResult result = IngestPipeline.create(options, withClock).run();
      try {
        // Then every pulled message acknowledged: acks follow the bundle that read a message, and
        // closing the fake fails on any message still unacknowledged.
        Set<String> ackIds = new HashSet<>();
        incoming.forEach(m -> ackIds.add(m.ackId()));
        long deadline = System.nanoTime() + java.time.Duration.ofMinutes(3).toNanos();
        while (!(done.holds() && ACKED.containsAll(ackIds))) {
          if (result.getState().isTerminal()) {
            result.waitUntilFinish(); // rethrows the failure
          }
          if (System.nanoTime() - deadline > 0) {
            throw new AssertionError(
                "not within 3 minutes: the job's outputs (done: "
                    + done.holds()
                    + ") and the acknowledgement of "
                    + ackIds
                    + " (acknowledged: "
                    + ACKED
                    + ")");
          }
          Thread.sleep(100);
        }
      } finally {
        result.cancel();
      }
    }
  }

  /**
   * Ack ids the job acknowledged through {@link AckRecordingFactory}'s clients. Static, as the fake
   * Pub/Sub's own state is: the factory is serialized into the pipeline.
   */
  private static final Set<String> ACKED = ConcurrentHashMap.newKeySet();

  /** The fake Pub/Sub, whose clients also record every ack id in {@link #ACKED}. */
  private static final class AckRecordingFactory implements PubsubTestClientFactory {
    private static final long serialVersionUID = 1L;
    private final PubsubTestClientFactory fake;

    AckRecordingFactory(PubsubTestClientFactory fake) {
      this.fake = fake;
    }

    @Override
    public PubsubClient newClient(
        @Nullable String timestampAttribute,
        @Nullable String idAttribute,
        PubsubOptions options,
        @Nullable String rootUrlOverride) {
      return newClient(timestampAttribute, idAttribute, options);
    }

    @Override
    public PubsubClient newClient(
        @Nullable String timestampAttribute, @Nullable String idAttribute, PubsubOptions options) {
      // The fake's clients are stateless views of its static state, as its own factory makes them.
      return new PubsubTestClient() {
        @Override
        public void acknowledge(SubscriptionPath subscription, List<String> ackIds)
            throws IOException {
          super.acknowledge(subscription, ackIds);
          ACKED.addAll(ackIds);
        }
      };
    }

    @Override
    public String getKind() {
      return fake.getKind();
    }

    @Override
    public void close() throws IOException {
      fake.close();
    }
  }

  /** Pub/Sub's view of "now": serializable because the read carries it to the workers. */
  private static final class FixedClock implements Clock, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public long currentTimeMillis() {
      return TestEvents.NOW.toEpochMilli();
    }
  }

  /** Returns the rows of a BigQuery table. */
  List<TableRow> rows(String table) throws Exception {
    return datasets.getAllRows(PROJECT, DATASET, table);
  }

  /** Returns the rows of the invalid-messages table; none when no dead letter created it. */
  List<TableRow> deadLetters() throws Exception {
    if (datasets.getTable(
            BigQueryHelpers.parseTableSpec(PROJECT + ":" + DATASET + ".invalid_messages"))
        == null) {
      return List.of();
    }
    return rows("invalid_messages");
  }

  /** Creates a table in the fake BigQuery before the job runs (as an earlier release left it). */
  void createTable(String table, com.google.api.services.bigquery.model.TableSchema schema)
      throws Exception {
    datasets.createTable(
        new com.google.api.services.bigquery.model.Table()
            .setTableReference(
                BigQueryHelpers.parseTableSpec(PROJECT + ":" + DATASET + "." + table))
            .setSchema(schema));
  }

  /** Returns the fake BigQuery's copy of a table's metadata. */
  com.google.api.services.bigquery.model.Table table(String table) throws Exception {
    return datasets.getTable(BigQueryHelpers.parseTableSpec(PROJECT + ":" + DATASET + "." + table));
  }

  /** Returns every archived row, keyed by the folder (relative to the archive) of its file. */
  Map<String, List<TableRow>> archivedRows() throws IOException {
    Map<String, List<TableRow>> rows = new HashMap<>();
    for (Map.Entry<Path, List<String>> file : ArchiveFiles.jsonLines(archive()).entrySet()) {
      String folder = archive().relativize(file.getKey().getParent()).toString();
      for (String line : file.getValue()) {
        rows.computeIfAbsent(folder, f -> new ArrayList<>())
            .add(BigQueryHelpers.fromJsonString(line, TableRow.class));
      }
    }
    return rows;
  }

  /** Returns the names of every archived file. */
  List<String> archivedFileNames() throws IOException {
    try (Stream<Path> files = Files.walk(archive())) {
      return files
          .filter(f -> f.toString().endsWith(".json.gz"))
          .map(f -> archive().relativize(f).toString())
          .toList();
    }
  }

  /** Returns the value of an ingest counter after a run. */
  static long counter(PipelineResult result, String name) {
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(ParseEvents.METRICS_NAMESPACE, name))
                    .build());
    long total = 0;
    for (MetricResult<Long> counter : metrics.getCounters()) {
      total += counter.getAttempted();
    }
    return total;
  }

  /** A message as a publisher sends it, with a Pub/Sub message id. */
  static PubsubMessage message(String messageId, Event event, ContentType contentType) {
    return new PubsubMessage(
        TestEvents.payload(event, contentType),
        TestEvents.attributes(event, contentType),
        messageId);
  }

  /** A message with raw bytes and attributes. */
  static PubsubMessage message(String messageId, byte[] payload, Map<String, String> attributes) {
    return new PubsubMessage(payload, attributes, messageId);
  }

  /** A TestStream builder for messages. */
  static TestStream.Builder<PubsubMessage> stream() {
    return TestStream.create(PubsubMessageWithAttributesAndMessageIdCoder.of());
  }

  /** A message at an event time. */
  static TimestampedValue<PubsubMessage> at(Instant time, PubsubMessage message) {
    return TimestampedValue.of(message, time);
  }

  /** What the validated topic receives for an event published at the given time. */
  static OutgoingMessage republished(Event event, Instant publishTime) {
    return OutgoingMessage.of(
        RepublishEvents.toMessage(event), publishTime.getMillis(), null, null);
  }

  /** A message as the fake subscription delivers it, published at the given time. */
  static IncomingMessage incoming(
      String messageId, Event event, ContentType contentType, Instant publishTime) {
    com.google.pubsub.v1.PubsubMessage message =
        com.google.pubsub.v1.PubsubMessage.newBuilder()
            .setData(
                com.google.protobuf.ByteString.copyFrom(TestEvents.payload(event, contentType)))
            .putAllAttributes(TestEvents.attributes(event, contentType))
            .setMessageId(messageId)
            .build();
    // Without an id attribute, Beam's Pub/Sub clients use the message id as the record id.
    return IncomingMessage.of(message, publishTime.getMillis(), 0, "ack-" + messageId, messageId);
  }

  /** Returns a field of each row. */
  static <T> List<T> column(List<TableRow> rows, Function<TableRow, T> field) {
    return rows.stream().map(field).toList();
  }
}
