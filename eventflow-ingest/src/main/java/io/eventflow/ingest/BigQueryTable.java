package io.eventflow.ingest;

import com.google.api.services.bigquery.model.Clustering;
import com.google.api.services.bigquery.model.TableRow;
import com.google.api.services.bigquery.model.TimePartitioning;
import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO.Write.CreateDisposition;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO.Write.Method;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO.Write.WriteDisposition;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryServices;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Where and how one eventflow table is written: its name, schema resource, partitioning, clustering
 * and write method. Both tables share the write method and its trade-offs.
 */
public final class BigQueryTable implements Serializable {
  private static final long serialVersionUID = 1L;

  /** How rows reach BigQuery. */
  public enum WriteMethod {
    /**
     * The Storage Write API, exactly once: rows are queryable seconds after they arrive. It costs
     * per byte ingested (about $0.025/GiB after the first 2 TiB each month), and BigQuery reports
     * each rejected row individually, so a bad row becomes a dead letter instead of failing a
     * batch.
     */
    STORAGE_WRITE_API(Method.STORAGE_WRITE_API),
    /**
     * Batch load jobs on a triggering frequency: loading is free, but data is visible only after
     * the next load (minutes), and each table allows 1,500 load jobs a day, so loads must be at
     * least 86,400 s / 1,500 = 57.6 s apart per table. A load job is all or nothing: a row BigQuery
     * rejects fails its whole load, which is retried, so there are no per-row dead letters.
     */
    FILE_LOADS(Method.FILE_LOADS);

    private final Method method;

    WriteMethod(Method method) {
      this.method = method;
    }

    /** Returns the Beam write method. */
    public Method beamMethod() {
      return method;
    }
  }

  private final String tableSpec;
  private final String schemaResource;
  private final String partitionField;
  private final long partitionExpirationMs;
  private final List<String> clusteringFields;
  private final WriteMethod writeMethod;
  private final Duration triggeringFrequency;
  private final @Nullable BigQueryServices services;

  /**
   * Describes a table.
   *
   * @param tableSpec the table as {@code project:dataset.table}
   * @param schemaResource the classpath resource holding its schema (see {@link TableSchemas})
   * @param partitionField the TIMESTAMP column it is partitioned by (day)
   * @param partitionExpirationMs how long partitions are kept, or 0 to keep them forever
   * @param clusteringFields the columns it is clustered by, possibly none
   * @param writeMethod how rows are written
   * @param triggeringFrequency how often rows are committed (Storage Write API) or loaded
   * @param services BigQuery services for tests, or null for the real BigQuery
   */
  public BigQueryTable(
      String tableSpec,
      String schemaResource,
      String partitionField,
      long partitionExpirationMs,
      List<String> clusteringFields,
      WriteMethod writeMethod,
      Duration triggeringFrequency,
      @Nullable BigQueryServices services) {
    this.tableSpec = tableSpec;
    this.schemaResource = schemaResource;
    this.partitionField = partitionField;
    this.partitionExpirationMs = partitionExpirationMs;
    this.clusteringFields = List.copyOf(clusteringFields);
    this.writeMethod = writeMethod;
    this.triggeringFrequency = triggeringFrequency;
    this.services = services;
  }

  /** Returns the table as {@code project:dataset.table}. */
  public String tableSpec() {
    return tableSpec;
  }

  /** Returns how rows are written. */
  public WriteMethod writeMethod() {
    return writeMethod;
  }

  /**
   * Returns the write of this table's rows. It creates the table when missing (Terraform normally
   * has), with day partitions on the partition field, a required partition filter so no query scans
   * every day by accident, and clustering. It only ever appends.
   */
  public BigQueryIO.Write<TableRow> write() {
    TimePartitioning partitioning = new TimePartitioning().setType("DAY").setField(partitionField);
    partitioning.setRequirePartitionFilter(true);
    if (partitionExpirationMs > 0) {
      partitioning.setExpirationMs(partitionExpirationMs);
    }
    BigQueryIO.Write<TableRow> write =
        BigQueryIO.writeTableRows()
            .to(tableSpec)
            .withJsonSchema(schemaJson())
            .withTimePartitioning(partitioning)
            .withCreateDisposition(CreateDisposition.CREATE_IF_NEEDED)
            .withWriteDisposition(WriteDisposition.WRITE_APPEND)
            .withMethod(writeMethod.beamMethod())
            .withTriggeringFrequency(triggeringFrequency)
            // Shards follow the load instead of a fixed number of streams or files chosen today.
            .withAutoSharding();
    if (!clusteringFields.isEmpty()) {
      write = write.withClustering(new Clustering().setFields(clusteringFields));
    }
    if (services != null) {
      write = write.withTestServices(services);
    }
    return write;
  }

  private String schemaJson() {
    return "{\"fields\":" + TableSchemas.json(schemaResource) + "}";
  }
}
