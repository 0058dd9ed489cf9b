package io.eventflow.ingest;

import com.google.api.services.bigquery.model.TableRow;
import io.eventflow.beam.DropRepeatedIdsInMemory;
import io.eventflow.beam.DropRepeatedIdsInState;
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
import org.apache.beam.sdk.options.Validation;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptor;
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

  private IngestPipeline() {}

  /**
   * The job's options; every one has a documented default. The tables live in Beam's {@code
   * --bigQueryProject} (from {@link BigQueryOptions}), which defaults to {@code --project}.
   */
  public interface Options extends DeadLetterOptions, EnrichmentOptions {
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

    /** Returns {@code --eventsTable}, as described. */
    @Description("The table valid events are appended to. Default: events.")
    @Default.String("events")
    String getEventsTable();

    /** Sets {@code --eventsTable}. */
    void setEventsTable(String value);

    /** Returns {@code --dedupWindowMinutes}, as described. */
    @Description(
        "Minutes an event id is remembered to drop repeats of it (redeliveries, republished"
            + " duplicates). Default: 10.")
    @Default.Integer(10)
    int getDedupWindowMinutes();

    /** Sets {@code --dedupWindowMinutes}. */
    void setDedupWindowMinutes(int value);

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

  /**
   * Returns the job as one composite transform whose output is its valid events, once each (step
   * 3's): the local stack rolls them up in the same job instead of reading them back from the
   * validated topic, which they are still republished to. Validates the options first.
   *
   * @throws IllegalArgumentException if the options are inconsistent, naming every problem
   */
  public static PTransform<PBegin, PCollection<Event>> jobEmittingEvents(Options options) {
    validate(options);
    return new PTransform<>() {
      @Override
      public PCollection<Event> expand(PBegin root) {
        return build(root, options, Services.production());
      }
    };
  }

  /** Applies the job's steps to {@code root}; returns the valid events, repeats dropped. */
  private static PCollection<Event> build(PBegin root, Options options, Services services) {
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
                switch (options.getDedupIn()) {
                  case MEMORY -> new DropRepeatedIdsInMemory<>(Event::getId, dedupWindow);
                  case FINGERPRINTS ->
                      new DropRepeatedIdsInState<>(Event::getId, dedupWindow, services.clock());
                  case STATE -> new DeduplicateEvents(dedupWindow);
                });

    // 3c. With --enrichBy, attach what is known about each event's customer, source or attribute
    //     value. After dedup, so a repeat costs no lookup; before every output, so BigQuery, the
    //     archive, the validated topic and the rollups all see the same enriched event.
    EnrichEvents.Config enrichment = EnrichEvents.Config.of(options);
    if (enrichment != null) {
      events = events.apply("EnrichEvents", new EnrichEvents(enrichment));
    }

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
              DeadLetters.dropRedeliveries(options, dedupWindow, services.clock()));
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
                  DeadLetters.table(
                          options,
                          options.getEventsTable(),
                          TableSchemas.EVENTS,
                          "timestamp",
                          List.of("type", "source", "customer"),
                          services.bigQuery())
                      .matchingExistingTable(options),
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

    // 7. Every dead letter, from parsing or from BigQuery, becomes an invalid_messages row, in
    //    BigQuery and in the archive.
    String runId =
        options.getArchiveLocation().isEmpty()
            ? ""
            : DeadLetters.archiveRunId(options, services.ids());
    PCollection<InvalidMessage> deadLetters =
        PCollectionList.of(invalid)
            .apply("CollectInvalidMessages", Flatten.pCollections())
            .setCoder(ProtoCoder.of(InvalidMessage.class));
    DeadLetters.write(deadLetters, options, runId, services.clock(), services.bigQuery());

    // 8. The archive: the events table's rows as gzip JSON lines, the local stack's warehouse.
    if (!options.getArchiveLocation().isEmpty()) {
      eventRows.apply(
          "ArchiveEvents",
          ArchiveEvents.of(ArchiveEvents::valid, options, runId, services.clock()));
    }
    return events;
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
    if (bigQuery && !DeadLetters.TABLE.matcher(options.getEventsTable()).matches()) {
      problems.add("'" + options.getEventsTable() + "' is not a valid BigQuery table name");
    }
    DeadLetters.validate(options, problems);
    EnrichEvents.Config.validate(options, problems);
    positive(problems, "--dedupWindowMinutes", options.getDedupWindowMinutes());
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
