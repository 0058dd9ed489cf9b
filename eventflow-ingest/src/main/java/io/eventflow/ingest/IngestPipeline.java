package io.eventflow.ingest;

import com.google.api.services.bigquery.model.TableRow;
import io.eventflow.beam.DropRepeatedIdsInMemory;
import io.eventflow.beam.PullPubsubMessages;
import io.eventflow.beam.SingleProcessOptions;
import io.eventflow.common.IdGenerator;
import io.eventflow.common.UuidV7Generator;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.Event;
import io.eventflow.ingest.pb.InvalidMessage;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryOptions;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryServices;
import org.apache.beam.sdk.io.gcp.bigquery.TableRowJsonCoder;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.PubsubClientFactory;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubIO;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.options.Validation;
import org.apache.beam.sdk.transforms.Deduplicate;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The streaming ingest job: reads event messages from a Pub/Sub subscription, validates them,
 * writes valid events to BigQuery, the validated topic and the archive, and dead-letters everything
 * else with a reason. See this module's README for running it.
 */
public final class IngestPipeline {
  private static final Pattern SUBSCRIPTION = Pattern.compile("projects/[^/]+/subscriptions/[^/]+");
  private static final Pattern TOPIC = Pattern.compile("projects/[^/]+/topics/[^/]+");
  private static final Pattern DATASET = Pattern.compile("[A-Za-z0-9_]{1,1024}");
  private static final Pattern TABLE =
      Pattern.compile("[\\p{L}\\p{M}\\p{N}\\p{Pc}\\p{Pd} ]{1,1024}");

  /**
   * Load jobs must be at least 86,400 s / 1,500 loads per table per day = 57.6 s apart; a minute
   * leaves a margin for the occasional retried load.
   */
  static final int MIN_FILE_LOADS_SECONDS = 60;

  private IngestPipeline() {}

  /**
   * The job's options; every one has a documented default. The tables live in Beam's {@code
   * --bigQueryProject} (from {@link BigQueryOptions}), which defaults to {@code --project}.
   */
  public interface Options extends BigQueryOptions, StreamingOptions, SingleProcessOptions {
    /** Returns {@code --inputSubscription}, as described. */
    @Description(
        "The Pub/Sub subscription to read event messages from, as"
            + " projects/PROJECT/subscriptions/SUBSCRIPTION. Required.")
    @Validation.Required
    String getInputSubscription();

    /** Sets {@code --inputSubscription}. */
    void setInputSubscription(String value);

    /** Returns {@code --validatedTopic}, as described. */
    @Description(
        "The Pub/Sub topic valid events are republished to as binary protobuf, as"
            + " projects/PROJECT/topics/TOPIC. Default: empty, nothing is republished.")
    @Default.String("")
    String getValidatedTopic();

    /** Sets {@code --validatedTopic}. */
    void setValidatedTopic(String value);

    /** Returns {@code --bigQueryDataset}, as described. */
    @Description(
        "The BigQuery dataset of the events and invalid-messages tables. Default: empty, nothing"
            + " is written to BigQuery (then --archiveLocation is required).")
    @Default.String("")
    String getBigQueryDataset();

    /** Sets {@code --bigQueryDataset}. */
    void setBigQueryDataset(String value);

    /** Returns {@code --eventsTable}, as described. */
    @Description("The table valid events are appended to. Default: events.")
    @Default.String("events")
    String getEventsTable();

    /** Sets {@code --eventsTable}. */
    void setEventsTable(String value);

    /** Returns {@code --invalidMessagesTable}, as described. */
    @Description("The table invalid messages are appended to. Default: invalid_messages.")
    @Default.String("invalid_messages")
    String getInvalidMessagesTable();

    /** Sets {@code --invalidMessagesTable}. */
    void setInvalidMessagesTable(String value);

    /** Returns {@code --bigQueryWriteMethod}, as described. */
    @Description(
        "How rows reach BigQuery: STORAGE_WRITE_API (queryable in seconds, paid per GiB,"
            + " rejected rows dead-lettered one by one) or FILE_LOADS (free batch loads, visible"
            + " after minutes). Default: STORAGE_WRITE_API.")
    @Default.Enum("STORAGE_WRITE_API")
    BigQueryTable.WriteMethod getBigQueryWriteMethod();

    /** Sets {@code --bigQueryWriteMethod}. */
    void setBigQueryWriteMethod(BigQueryTable.WriteMethod value);

    /** Returns {@code --storageWriteApiCommitSeconds}, as described. */
    @Description(
        "With STORAGE_WRITE_API: seconds between commits of appended rows; rows become queryable"
            + " after at most this long. Default: 5.")
    @Default.Integer(5)
    int getStorageWriteApiCommitSeconds();

    /** Sets {@code --storageWriteApiCommitSeconds}. */
    void setStorageWriteApiCommitSeconds(int value);

    /** Returns {@code --fileLoadsFrequencySeconds}, as described. */
    @Description(
        "With FILE_LOADS: seconds between load jobs per table, at least 60 to stay under"
            + " BigQuery's 1,500 load jobs per table per day. Default: 300.")
    @Default.Integer(300)
    int getFileLoadsFrequencySeconds();

    /** Sets {@code --fileLoadsFrequencySeconds}. */
    void setFileLoadsFrequencySeconds(int value);

    /** Returns {@code --partitionExpirationDays}, as described. */
    @Description(
        "Days a partition of either table is kept before BigQuery deletes it; 0 keeps partitions"
            + " forever. Used only when the job creates the tables. Default: 0.")
    @Default.Integer(0)
    int getPartitionExpirationDays();

    /** Sets {@code --partitionExpirationDays}. */
    void setPartitionExpirationDays(int value);

    /** Returns {@code --dedupWindowMinutes}, as described. */
    @Description(
        "Minutes an event id is remembered to drop repeats of it (redeliveries, republished"
            + " duplicates). Default: 10.")
    @Default.Integer(10)
    int getDedupWindowMinutes();

    /** Sets {@code --dedupWindowMinutes}. */
    void setDedupWindowMinutes(int value);

    /** Returns {@code --archiveLocation}, as described. */
    @Description(
        "Where to archive events as gzip JSON lines: a gs://bucket/path or a local directory."
            + " Default: empty, no archive (then --bigQueryDataset is required).")
    @Default.String("")
    String getArchiveLocation();

    /** Sets {@code --archiveLocation}. */
    void setArchiveLocation(String value);

    /** Returns {@code --archiveWindowMinutes}, as described. */
    @Description("Minutes of arrival time per archive file set. Default: 10.")
    @Default.Integer(10)
    int getArchiveWindowMinutes();

    /** Sets {@code --archiveWindowMinutes}. */
    void setArchiveWindowMinutes(int value);

    /** Returns {@code --archiveRunId}, as described. */
    @Description(
        "The run id in archive file names. Default: empty, a fresh UUIDv7 per launch, so no"
            + " launch overwrites another's files. A job that restores its state from a checkpoint"
            + " (--checkpointedWrites) must keep one id across restores.")
    @Default.String("")
    String getArchiveRunId();

    /** Sets {@code --archiveRunId}. */
    void setArchiveRunId(String value);

    /** Returns {@code --archiveShards}, as described. */
    @Description("Files per folder and archive window. Default: 1.")
    @Default.Integer(1)
    int getArchiveShards();

    /** Sets {@code --archiveShards}. */
    void setArchiveShards(int value);

    /** Returns {@code --maxPayloadBytes}, as described. */
    @Description("The largest payload accepted, in bytes. Default: 262144 (256 KiB).")
    @Default.Integer(256 * 1024)
    int getMaxPayloadBytes();

    /** Sets {@code --maxPayloadBytes}. */
    void setMaxPayloadBytes(int value);

    /** Returns {@code --maxAttributes}, as described. */
    @Description("The most attributes an event may carry. Default: 256.")
    @Default.Integer(256)
    int getMaxAttributes();

    /** Sets {@code --maxAttributes}. */
    void setMaxAttributes(int value);

    /** Returns {@code --maxKeyLength}, as described. */
    @Description("The longest attribute key, in characters. Default: 256.")
    @Default.Integer(256)
    int getMaxKeyLength();

    /** Sets {@code --maxKeyLength}. */
    void setMaxKeyLength(int value);

    /** Returns {@code --maxStringLength}, as described. */
    @Description(
        "The longest id, type, source, customer or string attribute, in characters."
            + " Default: 65536.")
    @Default.Integer(64 * 1024)
    int getMaxStringLength();

    /** Sets {@code --maxStringLength}. */
    void setMaxStringLength(int value);

    /** Returns {@code --earliestTimestamp}, as described. */
    @Description(
        "The earliest event timestamp accepted, in RFC 3339. Default: 2000-01-01T00:00:00Z.")
    @Default.String("2000-01-01T00:00:00Z")
    String getEarliestTimestamp();

    /** Sets {@code --earliestTimestamp}. */
    void setEarliestTimestamp(String value);

    /** Returns {@code --maxFutureSkewHours}, as described. */
    @Description("How many hours after now an event timestamp may lie. Default: 24.")
    @Default.Integer(24)
    int getMaxFutureSkewHours();

    /** Sets {@code --maxFutureSkewHours}. */
    void setMaxFutureSkewHours(int value);
  }

  /**
   * What the job talks to besides its options: the clock, the id generator naming archive files,
   * and, in tests, a replacement message source and fake Pub/Sub and BigQuery services.
   *
   * @param clock receipt times and the future-skew rule
   * @param ids names this run's archive files
   * @param source replaces the Pub/Sub read when non-null
   * @param pubsub a Pub/Sub client factory for the read and the republish, or null for the real one
   * @param bigQuery BigQuery services, or null for the real BigQuery
   */
  record Services(
      Clock clock,
      IdGenerator ids,
      @Nullable PTransform<PBegin, PCollection<PubsubMessage>> source,
      @Nullable PubsubClientFactory pubsub,
      @Nullable BigQueryServices bigQuery) {

    static Services production() {
      return new Services(Clock.systemUTC(), new UuidV7Generator(), null, null, null);
    }
  }

  /** Parses the options from the command line and runs the job. */
  public static void main(String[] args) {
    PipelineOptionsFactory.register(Options.class);
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    run(options);
  }

  /**
   * Validates the options and starts the job, returning without waiting for it (it never ends on
   * its own: it is a streaming job).
   *
   * @throws IllegalArgumentException if the options are inconsistent, naming every problem
   */
  public static PipelineResult run(Options options) {
    return create(options, Services.production()).run();
  }

  /** Validates the options and builds the job's pipeline without running it. */
  static Pipeline create(Options options, Services services) {
    validate(options);
    options.setStreaming(true);
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline.begin(), options, services);
    return pipeline;
  }

  /**
   * Returns the job as one composite transform, to run it in a pipeline shared with another job:
   * the local stack runs ingest and rollups in one DirectRunner pipeline, whose scheduler polls
   * without pause and would take a core per pipeline. Validates the options first.
   *
   * @throws IllegalArgumentException if the options are inconsistent, naming every problem
   */
  public static PTransform<PBegin, PDone> job(Options options) {
    validate(options);
    return new PTransform<>() {
      @Override
      public PDone expand(PBegin root) {
        build(root, options, Services.production());
        return PDone.in(root.getPipeline());
      }
    };
  }

  /** Applies the job's steps to {@code root}. */
  private static void build(PBegin root, Options options, Services services) {
    ValidationLimits limits = limits(options);

    // 1. Read messages with their attributes and Pub/Sub message ids. Deliberately no id attribute:
    //    Beam's source then replaces every message id with that attribute's value, and dead letters
    //    must name the real message. Redeliveries of one message are dropped by its message id;
    //    step 3 drops repeats of an event id.
    PCollection<PubsubMessage> messages =
        root.apply(
            "ReadMessages",
            services.source() != null ? services.source() : read(options, services));

    // 2. Decode and validate: valid events on one side, dead letters with a reason on the other.
    PCollectionTuple parsed =
        messages.apply("ParseEvents", new ParseEvents(limits, services.clock()));

    // 3. Drop repeated ids (redeliveries, duplicate publishes) on any runner.
    Duration dedupWindow = Duration.standardMinutes(options.getDedupWindowMinutes());
    PCollection<Event> events =
        parsed
            .get(ParseEvents.VALID)
            .apply(
                "DeduplicateEvents",
                options.getDedupIn() == SingleProcessOptions.DedupIn.MEMORY
                    ? new DropRepeatedIdsInMemory<>(Event::getId, dedupWindow)
                    : new DeduplicateEvents(dedupWindow));

    List<PCollection<InvalidMessage>> invalid = new ArrayList<>();
    PCollection<InvalidMessage> rejected = parsed.get(ParseEvents.INVALID);
    if (options.getCheckpointedWrites()) {
      // 3b. Our own reader does not drop redeliveries as PubsubIO does on Dataflow: a message
      //     delivered again (its ack deadline passed during a slow checkpoint, or a crash came
      //     between a checkpoint and its acknowledgement) would be dead-lettered twice. Valid
      //     events are covered by step 3.
      rejected =
          rejected.apply(
              "DeduplicateInvalidMessages",
              Deduplicate.<InvalidMessage, String>withRepresentativeValueFn(
                      InvalidMessage::getMessageId)
                  .withRepresentativeType(TypeDescriptors.strings())
                  .withDuration(dedupWindow));
    }
    invalid.add(rejected);

    // 4. Valid events become rows of the events table (the archive writes the same rows).
    PCollection<TableRow> eventRows =
        events
            .apply(
                "ToEventRows",
                MapElements.into(TypeDescriptor.of(TableRow.class)).via(TableRows::eventRow))
            .setCoder(TableRowJsonCoder.of());

    // 5. BigQuery: rows BigQuery rejects come back as dead letters, so none is dropped.
    if (!options.getBigQueryDataset().isEmpty()) {
      invalid.add(
          eventRows.apply(
              "WriteEventsToBigQuery",
              new WriteEventsToBigQuery(
                  table(
                      options,
                      services,
                      options.getEventsTable(),
                      TableSchemas.EVENTS,
                      "timestamp",
                      List.of("type", "source", "customer")),
                  services.clock())));
    }

    // 6. Republish valid events for the rollups job and filtered subscriptions.
    if (!options.getValidatedTopic().isEmpty()) {
      RepublishEvents republish =
          options.getPubsubTransport() == SingleProcessOptions.PubsubTransport.BATCHED_GRPC
              ? RepublishEvents.overBatchedGrpc(
                  options.getValidatedTopic(), options.as(PubsubOptions.class).getPubsubRootUrl())
              : new RepublishEvents(options.getValidatedTopic(), services.pubsub());
      events.apply("RepublishEvents", republish);
    }

    // 7. Every dead letter, from parsing or from BigQuery, becomes an invalid_messages row.
    PCollection<TableRow> invalidRows =
        PCollectionList.of(invalid)
            .apply("CollectInvalidMessages", Flatten.pCollections())
            .setCoder(ProtoCoder.of(InvalidMessage.class))
            .apply(
                "ToInvalidMessageRows",
                MapElements.into(TypeDescriptor.of(TableRow.class))
                    .via(TableRows::invalidMessageRow))
            .setCoder(TableRowJsonCoder.of());
    if (!options.getBigQueryDataset().isEmpty()) {
      invalidRows.apply(
          "WriteInvalidMessages",
          new WriteInvalidMessages(
              table(
                  options,
                  services,
                  options.getInvalidMessagesTable(),
                  TableSchemas.INVALID_MESSAGES,
                  "received_at",
                  List.of("reason"))));
    }

    // 8. The archive: the same rows as gzip JSON lines, the local stack's warehouse.
    if (!options.getArchiveLocation().isEmpty()) {
      String runId =
          options.getArchiveRunId().isEmpty() ? services.ids().nextId() : options.getArchiveRunId();
      Duration window = Duration.standardMinutes(options.getArchiveWindowMinutes());
      String location = options.getArchiveLocation();
      ArchiveEvents valid =
          ArchiveEvents.valid(
              location, runId, window, options.getArchiveShards(), services.clock());
      ArchiveEvents invalidOnes =
          ArchiveEvents.invalid(
              location, runId, window, options.getArchiveShards(), services.clock());
      if (options.getCheckpointedWrites()) {
        valid = valid.checkpointed();
        invalidOnes = invalidOnes.checkpointed();
      }
      eventRows.apply("ArchiveEvents", valid);
      invalidRows.apply("ArchiveInvalidMessages", invalidOnes);
    }
  }

  /** Returns the read of the input subscription, the job's first step. */
  static PTransform<PBegin, PCollection<PubsubMessage>> read(Options options, Services services) {
    if (options.getPubsubTransport() == SingleProcessOptions.PubsubTransport.BATCHED_GRPC) {
      return PullPubsubMessages.fromSubscription(
          options.getInputSubscription(), options.as(PubsubOptions.class).getPubsubRootUrl());
    }
    return readMessages(options, services);
  }

  /** Returns PubsubIO's read of the input subscription. */
  static PubsubIO.Read<PubsubMessage> readMessages(Options options, Services services) {
    PubsubIO.Read<PubsubMessage> read =
        PubsubIO.readMessagesWithAttributesAndMessageId()
            .fromSubscription(options.getInputSubscription());
    if (services.pubsub() != null) {
      read = read.withClientFactory(services.pubsub());
    }
    return read;
  }

  private static BigQueryTable table(
      Options options,
      Services services,
      String table,
      String schemaResource,
      String partitionField,
      List<String> clustering) {
    String project =
        isNullOrEmpty(options.getBigQueryProject())
            ? options.getProject()
            : options.getBigQueryProject();
    BigQueryTable.WriteMethod method = options.getBigQueryWriteMethod();
    int seconds =
        method == BigQueryTable.WriteMethod.FILE_LOADS
            ? options.getFileLoadsFrequencySeconds()
            : options.getStorageWriteApiCommitSeconds();
    return new BigQueryTable(
        project + ":" + options.getBigQueryDataset() + "." + table,
        schemaResource,
        partitionField,
        java.time.Duration.ofDays(options.getPartitionExpirationDays()).toMillis(),
        clustering,
        method,
        Duration.standardSeconds(seconds),
        services.bigQuery());
  }

  /** Returns the validation limits the options describe. */
  static ValidationLimits limits(Options options) {
    return new ValidationLimits(
        options.getMaxPayloadBytes(),
        options.getMaxAttributes(),
        options.getMaxKeyLength(),
        options.getMaxStringLength(),
        Instant.parse(options.getEarliestTimestamp()),
        java.time.Duration.ofHours(options.getMaxFutureSkewHours()));
  }

  /**
   * Checks the option combinations before anything is built.
   *
   * @throws IllegalArgumentException naming every problem, one per line
   */
  static void validate(Options options) {
    List<String> problems = new ArrayList<>();
    String subscription = options.getInputSubscription();
    if (subscription == null || !SUBSCRIPTION.matcher(subscription).matches()) {
      problems.add(
          "--inputSubscription must look like projects/PROJECT/subscriptions/SUBSCRIPTION, got '"
              + subscription
              + "'");
    }
    String topic = options.getValidatedTopic();
    if (!topic.isEmpty() && !TOPIC.matcher(topic).matches()) {
      problems.add(
          "--validatedTopic must be empty or look like projects/PROJECT/topics/TOPIC, got '"
              + topic
              + "'");
    }
    boolean bigQuery = !options.getBigQueryDataset().isEmpty();
    if (!bigQuery && options.getArchiveLocation().isEmpty()) {
      problems.add(
          "nothing would store the events: set --bigQueryDataset, --archiveLocation, or both");
    }
    if (bigQuery) {
      if (!DATASET.matcher(options.getBigQueryDataset()).matches()) {
        problems.add(
            "--bigQueryDataset may hold only letters, digits and underscores, got '"
                + options.getBigQueryDataset()
                + "'");
      }
      for (String table : List.of(options.getEventsTable(), options.getInvalidMessagesTable())) {
        if (!TABLE.matcher(table).matches()) {
          problems.add("'" + table + "' is not a valid BigQuery table name");
        }
      }
      if (isNullOrEmpty(options.getBigQueryProject()) && isNullOrEmpty(options.getProject())) {
        problems.add("--bigQueryDataset needs a project: set --bigQueryProject or --project");
      }
      if (options.getBigQueryWriteMethod() == BigQueryTable.WriteMethod.FILE_LOADS
          && options.getFileLoadsFrequencySeconds() < MIN_FILE_LOADS_SECONDS) {
        problems.add(
            "--fileLoadsFrequencySeconds must be at least "
                + MIN_FILE_LOADS_SECONDS
                + " (BigQuery allows 1,500 load jobs per table per day), got "
                + options.getFileLoadsFrequencySeconds());
      }
      if (options.getStorageWriteApiCommitSeconds() <= 0) {
        problems.add("--storageWriteApiCommitSeconds must be positive");
      }
      if (options.getPartitionExpirationDays() < 0) {
        problems.add("--partitionExpirationDays must be 0 (keep forever) or positive");
      }
    }
    if (options.getCheckpointedWrites()
        && !options.getArchiveLocation().isEmpty()
        && options.getArchiveRunId().isEmpty()) {
      problems.add(
          "--checkpointedWrites needs a fixed --archiveRunId: a pane replayed from a checkpoint"
              + " must rewrite the file it wrote before");
    }
    positive(problems, "--dedupWindowMinutes", options.getDedupWindowMinutes());
    positive(problems, "--archiveWindowMinutes", options.getArchiveWindowMinutes());
    positive(problems, "--archiveShards", options.getArchiveShards());
    positive(problems, "--maxPayloadBytes", options.getMaxPayloadBytes());
    positive(problems, "--maxAttributes", options.getMaxAttributes());
    positive(problems, "--maxKeyLength", options.getMaxKeyLength());
    positive(problems, "--maxStringLength", options.getMaxStringLength());
    if (options.getMaxFutureSkewHours() < 0) {
      problems.add("--maxFutureSkewHours must not be negative");
    }
    try {
      Instant.parse(options.getEarliestTimestamp());
    } catch (DateTimeParseException e) {
      problems.add(
          "--earliestTimestamp must be RFC 3339 like 2000-01-01T00:00:00Z, got '"
              + options.getEarliestTimestamp()
              + "'");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid ingest options:\n  " + String.join("\n  ", problems));
    }
  }

  private static void positive(List<String> problems, String name, int value) {
    if (value <= 0) {
      problems.add(name + " must be positive, got " + value);
    }
  }

  private static boolean isNullOrEmpty(@Nullable String s) {
    return s == null || s.isEmpty();
  }
}
