package io.eventflow.ingest;

import com.google.api.services.bigquery.model.TableRow;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryStorageApiInsertError;
import org.apache.beam.sdk.io.gcp.bigquery.WriteResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends {@code invalid_messages} rows (see {@link TableRows#invalidMessageRow}) to BigQuery.
 *
 * <p>A row this table itself rejects has nowhere further to go in BigQuery (writing it here again
 * would loop), so it is counted as {@code invalid_messages.rejected} (alert on that counter) and
 * logged at ERROR by message id, reason code and BigQuery's error only: the row holds customer data
 * (payload, attributes, the decoded event), which does not belong in logs. The archive, when
 * configured, holds the whole row.
 */
public final class WriteInvalidMessages extends PTransform<PCollection<TableRow>, PDone> {
  private static final long serialVersionUID = 1L;

  private final BigQueryTable table;

  /** Creates the transform writing to the given table. */
  public WriteInvalidMessages(BigQueryTable table) {
    this.table = table;
  }

  @Override
  public PDone expand(PCollection<TableRow> rows) {
    WriteResult result = rows.apply("WriteToInvalidMessagesTable", table.write());
    if (table.writeMethod() == BigQueryTable.WriteMethod.STORAGE_WRITE_API) {
      result.getFailedStorageApiInserts().apply("LogRejectedRows", ParDo.of(new LogRejectedFn()));
    }
    return PDone.in(rows.getPipeline());
  }

  /** Logs and counts rows the invalid-messages table rejected. */
  static final class LogRejectedFn extends DoFn<BigQueryStorageApiInsertError, Void> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(WriteInvalidMessages.class);
    private final Counter rejected =
        Metrics.counter(ParseEvents.METRICS_NAMESPACE, "invalid_messages.rejected");

    /** BigQuery's error text is kept to this many characters: it names a field, not data. */
    static final int MAX_ERROR_CHARS = 500;

    @ProcessElement
    public void processElement(@Element BigQueryStorageApiInsertError error) {
      rejected.inc();
      TableRow row = error.getRow();
      String message = String.valueOf(error.getErrorMessage());
      LOG.error(
          "BigQuery rejected the invalid_messages row of message {} (reason {}): {}",
          row == null ? null : row.get("message_id"),
          row == null ? null : row.get("reason"),
          message.length() <= MAX_ERROR_CHARS
              ? message
              : message.substring(0, MAX_ERROR_CHARS) + "...");
    }
  }
}
