package io.eventflow.ingest;

import io.eventflow.beam.SingleProcessOptions;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Where a job's dead letters go: the {@code invalid_messages} BigQuery table and the archive's
 * {@code invalid/} folder, with how they are written. Ingest and rollups both take these options,
 * so the same flags send both jobs' dead letters to the same table and folder; the local stack,
 * which builds both jobs from one set of options, gets that without saying so.
 */
public interface DeadLetterOptions extends BigQueryOptions, SingleProcessOptions {
  /** Returns {@code --bigQueryDataset}, as described. */
  @Description(
      "The BigQuery dataset of the events and invalid-messages tables (ingest) or of the"
          + " invalid-messages table (rollups). Default: empty, nothing is written to BigQuery.")
  @Default.String("")
  String getBigQueryDataset();

  /** Sets {@code --bigQueryDataset}. */
  void setBigQueryDataset(String value);

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

  /** Returns {@code --archiveLocation}, as described. */
  @Description(
      "Where to archive events (ingest) and dead letters (both jobs) as gzip JSON lines: a"
          + " gs://bucket/path or a local directory. Default: empty, no archive.")
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
}
