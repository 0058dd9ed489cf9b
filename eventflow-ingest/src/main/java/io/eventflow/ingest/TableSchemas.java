package io.eventflow.ingest;

import com.google.api.services.bigquery.model.TableSchema;
import com.google.common.io.Resources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryHelpers;

/**
 * The BigQuery table schemas, read from {@code schemas/events.json} and {@code
 * schemas/invalid_messages.json}. Terraform reads the very same files ({@code file()}), so the job
 * and the infrastructure cannot disagree about a column.
 */
public final class TableSchemas {
  /** The resource holding the {@code events} table schema. */
  public static final String EVENTS = "schemas/events.json";

  /** The resource holding the {@code invalid_messages} table schema. */
  public static final String INVALID_MESSAGES = "schemas/invalid_messages.json";

  private TableSchemas() {}

  /** Returns the {@code events} table schema. */
  public static TableSchema events() {
    return load(EVENTS);
  }

  /** Returns the {@code invalid_messages} table schema. */
  public static TableSchema invalidMessages() {
    return load(INVALID_MESSAGES);
  }

  /** Returns the JSON of a schema resource: an array of fields, the format Terraform expects. */
  public static String json(String resource) {
    URL url = TableSchemas.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IllegalStateException("missing schema resource " + resource);
    }
    try {
      return Resources.toString(url, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read schema resource " + resource, e);
    }
  }

  private static TableSchema load(String resource) {
    // The file is a bare field array (Terraform's format); BigQuery's API wraps it in "fields".
    return BigQueryHelpers.fromJsonString("{\"fields\":" + json(resource) + "}", TableSchema.class);
  }
}
