package io.eventflow.events.query;

import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryException;
import com.google.cloud.bigquery.BigQueryOptions;
import com.google.cloud.bigquery.FieldList;
import com.google.cloud.bigquery.FieldValue;
import com.google.cloud.bigquery.FieldValueList;
import com.google.cloud.bigquery.LegacySQLTypeName;
import com.google.cloud.bigquery.QueryJobConfiguration;
import com.google.cloud.bigquery.QueryParameterValue;
import com.google.cloud.bigquery.TableResult;
import io.eventflow.events.query.GeneratedSql.Parameter;
import io.eventflow.events.query.GeneratedSql.Parameters;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The BigQuery events table the ingest job writes, queried with BigQuery Standard SQL through
 * Google's client: every value a user typed is a named query parameter. The client is created on
 * the first statement run, so {@code --dry-run} needs neither credentials nor a network.
 */
public final class BigQueryEventStore implements EventStore {
  /**
   * {@code PROJECT.DATASET.TABLE}: a project id (possibly domain-scoped, {@code example.com:p}), a
   * dataset and a table of letters, digits and underscores (and dashes in a table name). Nothing
   * else is accepted, so the quoted table name in the statement cannot end early.
   */
  private static final Pattern TABLE =
      Pattern.compile(
          "([a-z][a-z0-9.:-]{0,61}[a-z0-9])\\.([A-Za-z0-9_]{1,1024})\\.([A-Za-z0-9_-]{1,1024})");

  private final String project;
  private final String table;
  private final Supplier<BigQuery> clients;
  private BigQuery client;

  private BigQueryEventStore(String project, String table, Supplier<BigQuery> clients) {
    this.project = project;
    this.table = table;
    this.clients = clients;
  }

  /**
   * Returns the store of table {@code PROJECT.DATASET.TABLE}, whose client (with the application
   * default credentials, billed to PROJECT) is created when a statement first runs.
   *
   * @throws InvalidQueryException if {@code text} is not a table name of that form
   */
  public static BigQueryEventStore of(String text) throws InvalidQueryException {
    Matcher m = parse(text);
    String project = m.group(1);
    return new BigQueryEventStore(
        project,
        text,
        () -> BigQueryOptions.newBuilder().setProjectId(project).build().getService());
  }

  /** Returns the store of a table, running statements on {@code client}. */
  static BigQueryEventStore of(String text, BigQuery client) throws InvalidQueryException {
    Matcher m = parse(text);
    return new BigQueryEventStore(m.group(1), text, () -> client);
  }

  private static Matcher parse(String text) throws InvalidQueryException {
    Matcher m = TABLE.matcher(text);
    if (!m.matches()) {
      throw new InvalidQueryException(
          "bad --bigquery '"
              + text
              + "': expected PROJECT.DATASET.TABLE, e.g. my-project.eventflow.events");
    }
    return m;
  }

  @Override
  public SqlDialect dialect() {
    return SqlDialect.BIGQUERY;
  }

  @Override
  public Source source(EventQuery query, Parameters parameters) {
    // The table filters by type and time itself (partitioned by day on timestamp, clustered by
    // type): the statement's range filter is its required partition filter.
    return new Source("`" + table + "`", false);
  }

  @Override
  public List<Object[]> execute(GeneratedSql sql) throws InvalidQueryException, IOException {
    QueryJobConfiguration job = job(sql);
    if (client == null) {
      client = clients.get();
    }
    TableResult result;
    try {
      result = client.query(job);
    } catch (BigQueryException e) {
      if ("invalidQuery".equals(e.getReason()) || e.getCode() == 400) {
        throw new InvalidQueryException("BigQuery rejected the query: " + e.getMessage());
      }
      throw new IOException("BigQuery (project " + project + "): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while BigQuery ran the query", e);
    }
    FieldList fields = result.getSchema().getFields();
    List<Object[]> rows = new ArrayList<>();
    for (FieldValueList row : result.iterateAll()) {
      Object[] values = new Object[fields.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = plain(row.get(i), fields.get(i).getType());
      }
      rows.add(values);
    }
    return rows;
  }

  /** Returns the query job of a statement: Standard SQL with its named parameters. */
  static QueryJobConfiguration job(GeneratedSql sql) {
    Map<String, QueryParameterValue> parameters = new LinkedHashMap<>();
    for (Parameter p : sql.parameters()) {
      parameters.put(p.name(), value(p));
    }
    return QueryJobConfiguration.newBuilder(sql.text())
        .setUseLegacySql(false)
        .setNamedParameters(parameters)
        .build();
  }

  private static QueryParameterValue value(Parameter p) {
    return switch (p.type()) {
      case STRING -> QueryParameterValue.string((String) p.value());
      case FLOAT64 -> QueryParameterValue.float64((Double) p.value());
      case BOOL -> QueryParameterValue.bool((Boolean) p.value());
      case TIMESTAMP ->
          QueryParameterValue.timestamp(
              ChronoUnit.MICROS.between(Instant.EPOCH, (Instant) p.value()));
      case ARRAY_INT64 -> {
        long[] values = (long[]) p.value();
        Long[] boxed = new Long[values.length];
        for (int i = 0; i < values.length; i++) {
          boxed[i] = values[i];
        }
        yield QueryParameterValue.array(boxed, Long.class);
      }
      case ARRAY_STRING ->
          QueryParameterValue.array(((List<?>) p.value()).toArray(String[]::new), String.class);
    };
  }

  private static Object plain(FieldValue value, LegacySQLTypeName type) {
    if (value.isNull()) {
      return null;
    }
    if (type.equals(LegacySQLTypeName.INTEGER)) {
      return value.getLongValue();
    }
    if (type.equals(LegacySQLTypeName.FLOAT)) {
      return value.getDoubleValue();
    }
    if (type.equals(LegacySQLTypeName.BOOLEAN)) {
      return value.getBooleanValue();
    }
    return value.getStringValue();
  }

  @Override
  public void close() {
    // The client holds no connection of its own to close.
  }
}
