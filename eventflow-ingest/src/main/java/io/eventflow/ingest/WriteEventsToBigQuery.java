package io.eventflow.ingest;

import com.google.api.services.bigquery.model.TableRow;
import com.google.protobuf.Timestamp;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.time.Clock;
import java.time.Instant;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryStorageApiInsertError;
import org.apache.beam.sdk.io.gcp.bigquery.WriteResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.values.PCollection;

/**
 * Appends {@code events} rows (see {@link TableRows#eventRow}) to BigQuery and returns the rows
 * BigQuery rejected as {@link InvalidReason#BIGQUERY_INSERT_FAILED} invalid messages, so that a row
 * BigQuery refuses is dead-lettered rather than dropped. Each is counted as {@code
 * invalid.BIGQUERY_INSERT_FAILED} in {@link ParseEvents#METRICS_NAMESPACE}, Dataflow's custom
 * counter that the BigQuery write errors chart and the dead-letter alert read (terraform/).
 */
public final class WriteEventsToBigQuery
    extends PTransform<PCollection<TableRow>, PCollection<InvalidMessage>> {
  private static final long serialVersionUID = 1L;

  private final BigQueryTable table;
  private final Clock clock;

  /** Creates the transform writing to the given table, stamping rejections with the clock. */
  public WriteEventsToBigQuery(BigQueryTable table, Clock clock) {
    this.table = table;
    this.clock = clock;
  }

  @Override
  public PCollection<InvalidMessage> expand(PCollection<TableRow> rows) {
    WriteResult result = rows.apply("WriteToEventsTable", table.write());
    if (table.writeMethod() != BigQueryTable.WriteMethod.STORAGE_WRITE_API) {
      // Load jobs are all or nothing and report no rows; a failing load is retried instead.
      return rows.getPipeline()
          .apply("NoRejectedRows", Create.empty(ProtoCoder.of(InvalidMessage.class)));
    }
    return result
        .getFailedStorageApiInserts()
        .apply("ToInvalidMessages", MapElements.via(new ToInvalidMessage(clock)))
        .setCoder(ProtoCoder.of(InvalidMessage.class));
  }

  /** Turns a rejected row into an invalid message keeping the row and BigQuery's error. */
  static final class ToInvalidMessage
      extends SimpleFunction<BigQueryStorageApiInsertError, InvalidMessage> {
    private static final long serialVersionUID = 1L;
    private final Clock clock;
    private final Counter rejected =
        Metrics.counter(
            ParseEvents.METRICS_NAMESPACE,
            ParseEvents.invalidCounterName(InvalidReason.BIGQUERY_INSERT_FAILED));

    ToInvalidMessage(Clock clock) {
      this.clock = clock;
    }

    @Override
    public InvalidMessage apply(BigQueryStorageApiInsertError error) {
      rejected.inc();
      Instant now = clock.instant();
      TableRow row = error.getRow();
      return InvalidMessage.newBuilder()
          .setReceivedAt(
              Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
          .setReason(InvalidReason.BIGQUERY_INSERT_FAILED)
          .setMessage(
              "BigQuery rejected the row of event "
                  + row.get("id")
                  + ": "
                  + error.getErrorMessage())
          .setRejectedRow(TableRows.jsonLine(row))
          .build();
    }
  }
}
