package io.eventflow.timeseries.rollups;

import io.eventflow.beam.DropRepeatedIdsInMemory;
import io.eventflow.beam.DropRepeatedIdsInState;
import io.eventflow.beam.PullPubsubMessages;
import io.eventflow.beam.SingleProcessOptions;
import io.eventflow.common.IdGenerator;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.UuidV7Generator;
import io.eventflow.common.pb.Event;
import io.eventflow.ingest.DeadLetterOptions;
import io.eventflow.ingest.DeadLetters;
import io.eventflow.ingest.pb.InvalidMessage;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryServices;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.PubsubClientFactory;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubIO;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Deduplicate;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming rollups job: validated events from a Pub/Sub subscription become minute and
 * quarter-hour interval rows of count, sum, min and max series in Spanner or the embedded store.
 */
public final class RollupsPipeline {
  /** The {@code --store} value selecting Cloud Spanner. */
  public static final String SPANNER = "spanner";

  /**
   * Ends the run id of this job's archive files: with one {@code --archiveRunId} for both jobs (the
   * local stack's), ingest's and rollups' dead letters of one window and pane would otherwise share
   * a file name in the same folder.
   */
  static final String ARCHIVE_RUN_SUFFIX = "-rollups";

  private static final Logger LOG = LoggerFactory.getLogger(RollupsPipeline.class);

  private RollupsPipeline() {}

  /** The job's options; every one is described and has a documented default. */
  public interface Options extends PubsubOptions, DeadLetterOptions {
    @Description(
        "The Pub/Sub subscription to the validated events topic, as"
            + " projects/PROJECT/subscriptions/SUBSCRIPTION. Required.")
    @Default.String("")
    String getSubscription();

    void setSubscription(String value);

    @Description(
        "Custom rollups, TYPE:FUNC:ATTRIBUTE entries separated by commas, FUNC one of sum, min,"
            + " max; e.g. purchase:sum:amount,request:max:latency. Event counts are always rolled"
            + " up. Default: empty (counts only).")
    @Default.String("")
    String getRollups();

    void setRollups(String value);

    @Description(
        "Seconds of arrival time per pane: each series writes its partial aggregates at most this"
            + " often. Default: 10.")
    @Default.Integer(10)
    int getFlushIntervalSeconds();

    void setFlushIntervalSeconds(int value);

    /** Returns {@code --maxDimensionValues}, as described. */
    @Description(
        "With by=DIMENSION rollups: the most values of a dimension that get their own series in"
            + " each worker; later values are counted under __other__. Default: 1000.")
    @Default.Integer(RollupKeys.DEFAULT_MAX_DIMENSION_VALUES)
    int getMaxDimensionValues();

    /** Sets {@code --maxDimensionValues}. */
    void setMaxDimensionValues(int value);

    /** Returns {@code --seriesShards}, as described. */
    @Description(
        "Combine series on this many keys (series hashed onto them) instead of one key per series;"
            + " 0 (the default) keeps one key per series, which a distributed runner spreads over"
            + " workers. The DirectRunner scans every key's timers on each step, so the local stack"
            + " uses 8.")
    @Default.Integer(0)
    int getSeriesShards();

    /** Sets {@code --seriesShards}. */
    void setSeriesShards(int value);

    @Description(
        "Minutes an event id is remembered to drop repeats (redeliveries, double publishes)."
            + " Default: 10.")
    @Default.Integer(10)
    int getDedupWindowMinutes();

    void setDedupWindowMinutes(int value);

    @Description(
        "Where intervals go: \"spanner\" (with --spannerInstance and --spannerDatabase) or a"
            + " jdbc:h2: URL of the embedded store, e.g."
            + " jdbc:h2:file:/var/lib/eventflow/intervals;AUTO_SERVER=TRUE. Required.")
    @Default.String("")
    String getStore();

    void setStore(String value);

    @Description("The Spanner project. Default: empty, the pipeline's --project.")
    @Default.String("")
    String getSpannerProject();

    void setSpannerProject(String value);

    @Description("The Spanner instance. Required with --store=spanner.")
    @Default.String("")
    String getSpannerInstance();

    void setSpannerInstance(String value);

    @Description(
        "The Spanner database holding the tables of spanner-schema.sql. Required with"
            + " --store=spanner.")
    @Default.String("")
    String getSpannerDatabase();

    void setSpannerDatabase(String value);

    @Description(
        "host:port of a Spanner emulator to write to instead of Cloud Spanner. Default: empty.")
    @Default.String("")
    String getSpannerEmulatorHost();

    void setSpannerEmulatorHost(String value);

    @Description(
        "Salt of the row ids, separating this launch's rows from earlier launches' (pane indices"
            + " restart at 0 in a fresh job). Default: empty, a new UUIDv7 at each launch. Keep"
            + " the default, unless the job restores its state from a checkpoint"
            + " (--checkpointedWrites): then keep one salt across restores, and a new one for a"
            + " job started without state.")
    @Default.String("")
    String getRowIdSalt();

    void setRowIdSalt(String value);
  }

  /**
   * What the job talks to besides its options; tests replace the clock, the Pub/Sub source or
   * client and BigQuery.
   *
   * @param clock receipt times of dead letters and their arrival time in the archive
   * @param ids the row id salt and the archive run id when the options leave them empty
   * @param source replaces the Pub/Sub read when non-null
   * @param pubsub a Pub/Sub client factory for the read, or null for the real one
   * @param bigQuery BigQuery services for the dead letters, or null for the real BigQuery
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
   * Validates the options and starts the job, returning without waiting for it (it is a streaming
   * job and never ends on its own).
   *
   * @throws IllegalArgumentException if the options are invalid, naming every problem
   */
  public static PipelineResult run(Options options) {
    return create(options, Services.production()).run();
  }

  /** Validates the options and builds the job's pipeline without running it. */
  static Pipeline create(Options options, Services services) {
    RollupSpec spec = validate(options);
    options.setStreaming(true);
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline.begin(), spec, options, services);
    return pipeline;
  }

  /**
   * Returns the job as one composite transform, to run it in a pipeline shared with another job:
   * the local stack runs ingest and rollups in one DirectRunner pipeline, whose scheduler polls
   * without pause and would take a core per pipeline. Validates the options first.
   *
   * @throws IllegalArgumentException if the options are invalid, naming every problem
   */
  public static PTransform<PBegin, PDone> job(Options options) {
    RollupSpec spec = validate(options);
    return new PTransform<>() {
      @Override
      public PDone expand(PBegin root) {
        build(root, spec, options, Services.production());
        return PDone.in(root.getPipeline());
      }
    };
  }

  /**
   * Returns the job's rollup steps (4 and 5: {@code ComputeRollups}, {@code WriteIntervals}) as one
   * composite over events decoded and deduplicated upstream in the same pipeline: the local stack
   * feeds it ingest's valid events directly, which spares reading them back from the validated
   * topic, decoding them and remembering their ids a second time. Validates the options first;
   * {@code --subscription} is not read.
   *
   * @throws IllegalArgumentException if the options are invalid, naming every problem
   */
  public static PTransform<PCollection<Event>, PDone> jobOnEvents(Options options) {
    RollupSpec spec = validate(options, false);
    return new PTransform<>() {
      @Override
      public PDone expand(PCollection<Event> unique) {
        rollUp(unique, spec, options, Services.production());
        return PDone.in(unique.getPipeline());
      }
    };
  }

  /** Applies the job's steps to {@code root}. */
  private static void build(PBegin root, RollupSpec spec, Options options, Services services) {
    // 1. Read validated events with their attributes. Event time is the event.timestamp attribute
    //    ingest sets; Dataflow also drops redeliveries by the event.id attribute.
    PCollection<PubsubMessage> messages =
        root.apply(
            "ReadMessages",
            services.source() != null ? services.source() : read(options, services));

    // 2. Decode the protobuf (or JSON) payloads. What does not decode is a dead letter, not a
    //    retry: failing the bundle would redeliver the same message forever.
    PCollectionTuple decoded = messages.apply("DecodeEvents", new DecodeEvents(services.clock()));
    PCollection<Event> events = decoded.get(DecodeEvents.EVENTS);

    // 3. Count each event once: Pub/Sub redelivers after the ack deadline (10-600 s), so ids are
    //    remembered for the dedup window (default 10 minutes), as in ingest.
    Duration dedupWindow = Duration.standardMinutes(options.getDedupWindowMinutes());
    PCollection<Event> unique =
        events.apply(
            "DeduplicateEvents",
            switch (options.getDedupIn()) {
              case MEMORY -> new DropRepeatedIdsInMemory<>(Event::getId, dedupWindow);
              case FINGERPRINTS ->
                  new DropRepeatedIdsInState<>(Event::getId, dedupWindow, services.clock());
              case STATE -> deduplicate(dedupWindow);
            });

    rollUp(unique, spec, options, services);

    // 6. Dead letters go where ingest's go (--bigQueryDataset's invalid_messages table, the
    //    archive's invalid/ folder), in archive files of their own ("RUN-rollups"). Without either
    //    option they are counted and logged only; validate() says so at launch.
    if (DeadLetters.configured(options)) {
      decoded
          .get(DecodeEvents.UNDECODABLE)
          .apply("WriteUndecodableMessages", new WriteUndecodable(options, services));
    }
  }

  /** Steps 4 and 5: rolls up events counted once and writes the rows. */
  private static void rollUp(
      PCollection<Event> unique, RollupSpec spec, Options options, Services services) {
    String salt =
        options.getRowIdSalt().isEmpty() ? services.ids().nextId() : options.getRowIdSalt();

    // 4. Minute and quarter-hour rows per series and pane, plus catalog updates.
    PCollectionTuple rows =
        unique.apply(
            "ComputeRollups",
            new ComputeRollups(
                    spec, Duration.standardSeconds(options.getFlushIntervalSeconds()), salt)
                .withSeriesShards(options.getSeriesShards())
                .withMaxDimensionValues(options.getMaxDimensionValues()));

    // 5. Idempotent writes to the chosen store.
    rows.apply("WriteIntervals", writeIntervals(options));
  }

  /**
   * Writes the undecodable messages with ingest's dead-letter steps, as one composite: a message
   * delivered again is dead-lettered once when the reader does not drop redeliveries itself ({@code
   * --checkpointedWrites}).
   */
  private static final class WriteUndecodable
      extends PTransform<PCollection<InvalidMessage>, PDone> {
    private static final long serialVersionUID = 1L;
    private final transient Options options;
    private final transient Services services;

    WriteUndecodable(Options options, Services services) {
      this.options = options;
      this.services = services;
    }

    @Override
    public PDone expand(PCollection<InvalidMessage> invalid) {
      PCollection<InvalidMessage> once =
          options.getCheckpointedWrites()
              ? invalid.apply(
                  "DeduplicateInvalidMessages",
                  DeadLetters.dropRedeliveries(
                      options,
                      Duration.standardMinutes(options.getDedupWindowMinutes()),
                      services.clock()))
              : invalid;
      String runId =
          options.getArchiveLocation().isEmpty()
              ? ""
              : DeadLetters.archiveRunId(options, services.ids()) + ARCHIVE_RUN_SUFFIX;
      DeadLetters.write(once, options, runId, services.clock(), services.bigQuery());
      return PDone.in(invalid.getPipeline());
    }
  }

  /**
   * Checks every option and returns the parsed rollup spec.
   *
   * @throws IllegalArgumentException listing every problem found
   */
  static RollupSpec validate(Options options) {
    return validate(options, true);
  }

  /** As {@link #validate(Options)}; {@code reads} says whether the job reads a subscription. */
  private static RollupSpec validate(Options options, boolean reads) {
    List<String> problems = new ArrayList<>();
    RollupSpec spec = null;
    try {
      spec = RollupSpec.parse(options.getRollups());
    } catch (IllegalArgumentException e) {
      problems.add("--rollups: " + e.getMessage());
    }
    if (reads && options.getSubscription().isEmpty()) {
      problems.add("--subscription is required (projects/PROJECT/subscriptions/SUBSCRIPTION)");
    }
    if (options.getMaxDimensionValues() < 1) {
      problems.add("--maxDimensionValues must be at least 1");
    }
    if (options.getSeriesShards() < 0) {
      problems.add("--seriesShards must be 0 or more");
    }
    if (options.getFlushIntervalSeconds() < 1) {
      problems.add("--flushIntervalSeconds must be at least 1");
    }
    if (options.getDedupWindowMinutes() < 1) {
      problems.add("--dedupWindowMinutes must be at least 1");
    }
    String store = options.getStore();
    if (options.getCheckpointedWrites()) {
      if (options.getRowIdSalt().isEmpty()) {
        problems.add(
            "--checkpointedWrites needs a fixed --rowIdSalt: a pane replayed from a checkpoint"
                + " must rewrite the rows it wrote before");
      }
      if (store.equals(SPANNER)) {
        problems.add("--checkpointedWrites is for the embedded store, not --store=spanner");
      }
    }
    if (store.equals(SPANNER)) {
      if (spannerProject(options).isEmpty()) {
        problems.add("--store=spanner needs --spannerProject or --project");
      }
      if (options.getSpannerInstance().isEmpty()) {
        problems.add("--store=spanner needs --spannerInstance");
      }
      if (options.getSpannerDatabase().isEmpty()) {
        problems.add("--store=spanner needs --spannerDatabase");
      }
    } else if (!store.startsWith("jdbc:h2:")) {
      problems.add(
          "--store must be \"spanner\" or a jdbc:h2: URL of the embedded store, was \""
              + store
              + "\"");
    }
    DeadLetters.validate(options, problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid options: " + String.join("; ", problems));
    }
    if (!DeadLetters.configured(options)) {
      LOG.warn(
          "neither --bigQueryDataset nor --archiveLocation is set: undecodable messages will be"
              + " counted (undecodableMessages) and logged by id, but not kept");
    }
    return spec;
  }

  /**
   * Returns the step passing on the first event with each id and dropping repeats seen within a
   * window of processing time (state and a timer per id, on every runner).
   */
  static PTransform<PCollection<Event>, PCollection<Event>> deduplicate(Duration window) {
    return Deduplicate.<Event, String>withRepresentativeValueFn(Event::getId)
        .withRepresentativeType(TypeDescriptors.strings())
        .withDuration(window);
  }

  private static WriteIntervals writeIntervals(Options options) {
    if (options.getStore().equals(SPANNER)) {
      return WriteIntervals.toSpanner(
          new IntervalWriterFactory.SpannerTarget(
              spannerProject(options),
              options.getSpannerInstance(),
              options.getSpannerDatabase(),
              options.getSpannerEmulatorHost()));
    }
    return WriteIntervals.toJdbc(options.getStore(), options.getCheckpointedWrites());
  }

  private static String spannerProject(Options options) {
    if (!options.getSpannerProject().isEmpty()) {
      return options.getSpannerProject();
    }
    return options.getProject() == null ? "" : options.getProject();
  }

  private static PTransform<PBegin, PCollection<PubsubMessage>> read(
      Options options, Services services) {
    if (options.getPubsubTransport() == SingleProcessOptions.PubsubTransport.BATCHED_GRPC) {
      return PullPubsubMessages.fromSubscription(
              options.getSubscription(), options.getPubsubRootUrl())
          .withTimestampAttribute(MessageAttributes.TIMESTAMP);
    }
    return readMessages(options, services);
  }

  private static PubsubIO.Read<PubsubMessage> readMessages(Options options, Services services) {
    PubsubIO.Read<PubsubMessage> read =
        PubsubIO.readMessagesWithAttributesAndMessageId()
            .fromSubscription(options.getSubscription())
            .withTimestampAttribute(MessageAttributes.TIMESTAMP)
            .withIdAttribute(MessageAttributes.ID);
    if (services.pubsub() != null) {
      read = read.withClientFactory(services.pubsub());
    }
    return read;
  }
}
