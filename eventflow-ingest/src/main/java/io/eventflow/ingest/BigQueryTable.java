package io.eventflow.ingest;

import com.google.api.services.bigquery.model.Clustering;
import com.google.api.services.bigquery.model.Table;
import com.google.api.services.bigquery.model.TableFieldSchema;
import com.google.api.services.bigquery.model.TableRow;
import com.google.api.services.bigquery.model.TableSchema;
import com.google.api.services.bigquery.model.TimePartitioning;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryHelpers;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO.Write.CreateDisposition;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO.Write.Method;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO.Write.WriteDisposition;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryOptions;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryServices;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryServicesImpl;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Where and how one eventflow table is written: its name, schema resource, partitioning, clustering
 * and write method. Both tables share the write method and its trade-offs.
 */
public final class BigQueryTable implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger logger = Logger.getLogger(BigQueryTable.class.getName());

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
  private final String schemaJson;
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
    this.schemaJson = "{\"fields\":" + TableSchemas.json(schemaResource) + "}";
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
            .withAutoSharding()
            // Schema evolution: columns are only ever added, NULLABLE (the events table's
            // enrichment record). A table created before a column existed keeps taking rows: the
            // new column's values are left out until the table has it (Terraform adds it in place
            // from the same schema file); the Storage Write API then notices the wider table by
            // itself, and load jobs add the column themselves.
            .ignoreUnknownValues();
    if (writeMethod == WriteMethod.STORAGE_WRITE_API) {
      write = write.withAutoSchemaUpdate(true);
    } else {
      write =
          write.withSchemaUpdateOptions(
              java.util.EnumSet.of(BigQueryIO.Write.SchemaUpdateOption.ALLOW_FIELD_ADDITION));
    }
    if (!clusteringFields.isEmpty()) {
      write = write.withClustering(new Clustering().setFields(clusteringFields));
    }
    if (services != null) {
      write = write.withTestServices(services);
    }
    return write;
  }

  private String schemaJson() {
    return schemaJson;
  }

  private BigQueryTable(BigQueryTable table, String schemaJson) {
    this.tableSpec = table.tableSpec;
    this.schemaJson = schemaJson;
    this.partitionField = table.partitionField;
    this.partitionExpirationMs = table.partitionExpirationMs;
    this.clusteringFields = table.clusteringFields;
    this.writeMethod = table.writeMethod;
    this.triggeringFrequency = table.triggeringFrequency;
    this.services = table.services;
  }

  /**
   * Returns this table written in the shape the existing table has, when it exists with fewer
   * columns than the schema file: a table created by an earlier release, before {@code terraform
   * apply} added a new NULLABLE column (such as the events table's {@code enrichment}). The Storage
   * Write API sends rows in the shape of the schema it is given, and BigQuery refuses a shape wider
   * than the table's, which would turn every row into a dead letter. So the job writes the columns
   * the table has and leaves the new ones out ({@code ignoreUnknownValues}); once the table has
   * them, {@code withAutoSchemaUpdate} notices within minutes. Load jobs add missing columns
   * themselves ({@code ALLOW_FIELD_ADDITION}) and keep the file's schema. If the table cannot be
   * read, the file's schema is used.
   */
  public BigQueryTable matchingExistingTable(BigQueryOptions options) {
    if (writeMethod != WriteMethod.STORAGE_WRITE_API) {
      return this;
    }
    try (BigQueryServices.DatasetService datasets =
        (services != null ? services : new BigQueryServicesImpl()).getDatasetService(options)) {
      Table existing = datasets.getTable(BigQueryHelpers.parseTableSpec(tableSpec));
      if (existing == null || existing.getSchema() == null) {
        return this;
      }
      Set<String> have = new HashSet<>();
      for (TableFieldSchema field : existing.getSchema().getFields()) {
        have.add(field.getName());
      }
      TableSchema file = BigQueryHelpers.fromJsonString(schemaJson, TableSchema.class);
      List<String> missing = new ArrayList<>();
      for (TableFieldSchema field : file.getFields()) {
        if (!have.contains(field.getName())) {
          missing.add(field.getName());
        }
      }
      if (missing.isEmpty()) {
        return this;
      }
      logger.warning(
          tableSpec
              + " lacks the column(s) "
              + missing
              + " of its schema file: writing the columns it has; run terraform apply (it adds"
              + " NULLABLE columns in place) and the job writes them within minutes");
      return new BigQueryTable(this, BigQueryHelpers.toJsonString(existing.getSchema()));
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      logger.warning(
          "cannot read "
              + tableSpec
              + " to compare its columns ("
              + e
              + "); using the schema file");
      return this;
    }
  }
}
