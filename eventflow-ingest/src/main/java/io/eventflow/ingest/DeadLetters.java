package io.eventflow.ingest;

import com.google.api.services.bigquery.model.TableRow;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.eventflow.beam.DropRepeatedIdsInState;
import io.eventflow.beam.SingleProcessOptions;
import io.eventflow.common.IdGenerator;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryServices;
import org.apache.beam.sdk.io.gcp.bigquery.TableRowJsonCoder;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.transforms.Deduplicate;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Dead letters, the same for every job that has them (ingest and rollups): the {@link
 * InvalidMessage} record keeping the original message and its reason, and the steps writing those
 * records to the {@code invalid_messages} table and the archive's {@code invalid/} folder as {@link
 * DeadLetterOptions} say.
 */
public final class DeadLetters {
  private static final Pattern DATASET = Pattern.compile("[A-Za-z0-9_]{1,1024}");

  /** BigQuery table names: letters, marks, numbers, connectors, dashes and spaces, ≤ 1,024. */
  static final Pattern TABLE = Pattern.compile("[\\p{L}\\p{M}\\p{N}\\p{Pc}\\p{Pd} ]{1,1024}");

  /**
   * Load jobs must be at least 86,400 s / 1,500 loads per table per day = 57.6 s apart; a minute
   * leaves a margin for the occasional retried load.
   */
  static final int MIN_FILE_LOADS_SECONDS = 60;

  private DeadLetters() {}

  /**
   * Starts the dead-letter record of a message: its id, attributes and exact payload, and when it
   * was received. The caller sets the reason and the description.
   */
  public static InvalidMessage.Builder of(
      String messageId, Map<String, String> attributes, byte[] payload, Instant receivedAt) {
    return InvalidMessage.newBuilder()
        .setMessageId(messageId)
        .putAllAttributes(attributes)
        .setPayload(ByteString.copyFrom(payload))
        .setReceivedAt(
            Timestamp.newBuilder()
                .setSeconds(receivedAt.getEpochSecond())
                .setNanos(receivedAt.getNano()));
  }

  /** Returns the dead-letter record of a Pub/Sub message, received now, failed for a reason. */
  public static InvalidMessage of(
      PubsubMessage message, Clock clock, InvalidReason reason, String description) {
    return of(
            message.getMessageId() == null ? "" : message.getMessageId(),
            message.getAttributeMap() == null ? Map.of() : message.getAttributeMap(),
            message.getPayload() == null ? new byte[0] : message.getPayload(),
            clock.instant())
        .setReason(reason)
        .setMessage(description)
        .build();
  }

  /** Whether the options send dead letters anywhere (BigQuery, the archive or both). */
  public static boolean configured(DeadLetterOptions options) {
    return !options.getBigQueryDataset().isEmpty() || !options.getArchiveLocation().isEmpty();
  }

  /**
   * Checks the dead-letter options, adding one line per problem to {@code problems}: the dataset
   * and table names, the BigQuery project and write method settings, the archive's window and
   * shards, and a fixed run id with {@code --checkpointedWrites}.
   */
  public static void validate(DeadLetterOptions options, List<String> problems) {
    if (!options.getBigQueryDataset().isEmpty()) {
      if (!DATASET.matcher(options.getBigQueryDataset()).matches()) {
        problems.add(
            "--bigQueryDataset may hold only letters, digits and underscores, got '"
                + options.getBigQueryDataset()
                + "'");
      }
      if (!TABLE.matcher(options.getInvalidMessagesTable()).matches()) {
        problems.add(
            "'" + options.getInvalidMessagesTable() + "' is not a valid BigQuery table name");
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
    if (options.getArchiveWindowMinutes() <= 0) {
      problems.add(
          "--archiveWindowMinutes must be positive, got " + options.getArchiveWindowMinutes());
    }
    if (options.getArchiveShards() <= 0) {
      problems.add("--archiveShards must be positive, got " + options.getArchiveShards());
    }
  }

  /**
   * Returns one of the job's BigQuery tables, in {@code --bigQueryProject} (else {@code --project})
   * and {@code --bigQueryDataset}, written as the options say.
   *
   * @param services fake BigQuery services for tests, or null for the real BigQuery
   */
  public static BigQueryTable table(
      DeadLetterOptions options,
      String table,
      String schemaResource,
      String partitionField,
      List<String> clustering,
      @Nullable BigQueryServices services) {
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
        services);
  }

  /** Returns {@code --archiveRunId}, or a fresh id from {@code ids} when it is empty. */
  public static String archiveRunId(DeadLetterOptions options, IdGenerator ids) {
    return options.getArchiveRunId().isEmpty() ? ids.nextId() : options.getArchiveRunId();
  }

  /**
   * Returns the step dropping a dead letter whose message id was seen within {@code window}: for a
   * reader that does not drop redeliveries itself, as PubsubIO does on Dataflow, where a message
   * delivered again (its ack deadline passed during a slow checkpoint, or a crash came between a
   * checkpoint and its acknowledgement) would otherwise be dead-lettered twice. Message ids are
   * remembered where {@code --dedupIn} says event ids are ({@code FINGERPRINTS} or Beam's state).
   */
  public static PTransform<PCollection<InvalidMessage>, PCollection<InvalidMessage>>
      dropRedeliveries(DeadLetterOptions options, Duration window, Clock clock) {
    if (options.getDedupIn() == SingleProcessOptions.DedupIn.FINGERPRINTS) {
      return new DropRepeatedIdsInState<>(InvalidMessage::getMessageId, window, clock);
    }
    return Deduplicate.<InvalidMessage, String>withRepresentativeValueFn(
            InvalidMessage::getMessageId)
        .withRepresentativeType(TypeDescriptors.strings())
        .withDuration(window);
  }

  /**
   * Applies, at {@code invalid}'s level of the graph, the steps writing dead letters: {@code
   * ToInvalidMessageRows}, then {@code WriteInvalidMessages} (with {@code --bigQueryDataset}) and
   * {@code ArchiveInvalidMessages} (with {@code --archiveLocation}). These step names are ingest's
   * since its first release; Dataflow matches steps by name on an update, so they stay.
   *
   * @param runId names the archive files (see {@link ArchiveEvents})
   * @param clock stamps rows with their arrival time in the archive
   * @param bigQuery fake BigQuery services for tests, or null for the real BigQuery
   */
  public static void write(
      PCollection<InvalidMessage> invalid,
      DeadLetterOptions options,
      String runId,
      Clock clock,
      @Nullable BigQueryServices bigQuery) {
    PCollection<TableRow> rows =
        invalid
            .apply(
                "ToInvalidMessageRows",
                MapElements.into(TypeDescriptor.of(TableRow.class))
                    .via(TableRows::invalidMessageRow))
            .setCoder(TableRowJsonCoder.of());
    if (!options.getBigQueryDataset().isEmpty()) {
      rows.apply(
          "WriteInvalidMessages",
          new WriteInvalidMessages(
              table(
                  options,
                  options.getInvalidMessagesTable(),
                  TableSchemas.INVALID_MESSAGES,
                  "received_at",
                  List.of("reason"),
                  bigQuery)));
    }
    if (!options.getArchiveLocation().isEmpty()) {
      rows.apply(
          "ArchiveInvalidMessages",
          ArchiveEvents.of(ArchiveEvents::invalid, options, runId, clock));
    }
  }

  private static boolean isNullOrEmpty(@Nullable String s) {
    return s == null || s.isEmpty();
  }
}
