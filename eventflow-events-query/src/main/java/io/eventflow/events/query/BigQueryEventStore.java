package io.eventflow.events.query;

import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
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
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The BigQuery events table the ingest job writes, queried with BigQuery Standard SQL through
 * Google's client: every value a user typed is a named query parameter. The client is created on
 * the first statement run, so {@code --dry-run} needs neither credentials nor a network.
 */
public final class BigQueryEventStore implements EventStore {
  /**
   * The environment variable naming a BigQuery emulator, or anything else that speaks BigQuery's
   * REST API, as Google's Python and Node.js clients read it: {@code http://localhost:9050} ({@code
   * localhost:9050} means plain HTTP). With it set the client sends no credentials.
   */
  public static final String EMULATOR_HOST_ENV = "BIGQUERY_EMULATOR_HOST";

  /**
   * The labels of every query job: the project's job history ({@code INFORMATION_SCHEMA.JOBS}) and
   * billing export tell eventflow's queries, and what they cost, from everyone else's.
   */
  public static final Map<String, String> JOB_LABELS = Map.of("eventflow-command", "events-query");

  /**
   * {@code PROJECT.DATASET.TABLE}: a project id (possibly domain-scoped, {@code example.com:p}), a
   * dataset and a table of letters, digits and underscores (and dashes in a table name). Nothing
   * else is accepted, so the quoted table name in the statement cannot end early.
   */
  private static final Pattern TABLE =
      Pattern.compile(
          "([a-z][a-z0-9.:-]{0,61}[a-z0-9])\\.([A-Za-z0-9_]{1,1024})\\.([A-Za-z0-9_-]{1,1024})");

  private final String table;
  private final Clients clients;
  private BigQuery client;

  /** Creates the client when the first statement runs. */
  private interface Clients {
    BigQuery open() throws IOException;
  }

  private BigQueryEventStore(String table, Clients clients) {
    this.table = table;
    this.clients = clients;
  }

  /**
   * Returns the store of table {@code PROJECT.DATASET.TABLE} in this process's environment: see
   * {@link #of(String, Function)}.
   *
   * @throws InvalidQueryException if {@code text} is not a table name of that form
   */
  public static BigQueryEventStore of(String text) throws InvalidQueryException {
    return of(text, System::getenv);
  }

  /**
   * Returns the store of table {@code PROJECT.DATASET.TABLE}, whose client is created when a
   * statement first runs: billed to PROJECT with the application default credentials, or, when
   * {@code environment} sets {@link #EMULATOR_HOST_ENV}, against that endpoint without any.
   *
   * @throws InvalidQueryException if {@code text} is not a table name of that form
   */
  public static BigQueryEventStore of(String text, Function<String, String> environment)
      throws InvalidQueryException {
    Matcher m = parse(text);
    String project = m.group(1);
    String emulator = environment.apply(EMULATOR_HOST_ENV);
    return new BigQueryEventStore(text, () -> open(project, emulator));
  }

  private static BigQuery open(String project, String emulator) throws IOException {
    BigQueryOptions.Builder options = BigQueryOptions.newBuilder().setProjectId(project);
    if (emulator != null && !emulator.isBlank()) {
      // An emulator takes no credentials, and the client must not go looking for any.
      options.setHost(endpoint(emulator)).setCredentials(NoCredentials.getInstance());
    } else {
      options.setCredentials(applicationDefaultCredentials());
    }
    return options.build().getService();
  }

  /** Returns the base URL of an emulator named as {@code [http[s]://]host:port}. */
  static String endpoint(String emulatorHost) {
    String host = emulatorHost.strip();
    return host.contains("://") ? host : "http://" + host;
  }

  /**
   * Looks the credentials up before the first request, so that their absence is one line saying
   * what to do rather than whatever the client makes of a request without them.
   */
  private static GoogleCredentials applicationDefaultCredentials() throws IOException {
    try {
      return GoogleCredentials.getApplicationDefault();
    } catch (IOException e) {
      throw new IOException(
          "no Google credentials for BigQuery: run gcloud auth application-default login, or set"
              + " GOOGLE_APPLICATION_CREDENTIALS to a service account key file",
          e);
    }
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
      client = clients.open();
    }
    try {
      TableResult result = client.query(job);
      FieldList fields = result.getSchema().getFields();
      List<Object[]> rows = new ArrayList<>();
      // Every page: the first came with the answer, the client fetches the others (tabledata.list)
      // as the loop reaches them, and a failure there is BigQuery's refusal like any other.
      for (FieldValueList row : result.iterateAll()) {
        Object[] values = new Object[fields.size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = plain(row.get(i), fields.get(i).getType());
        }
        rows.add(values);
      }
      return rows;
    } catch (BigQueryException e) {
      String message = oneLine(e.getMessage() == null ? e.toString() : e.getMessage());
      if (e.getCode() == 400 || "invalidQuery".equals(e.getReason())) {
        // A statement BigQuery will not run: the table is not an events table (a missing column),
        // say. The user fixes the flags, as for any other bad query.
        throw new InvalidQueryException("BigQuery rejected the query: " + message);
      }
      // Anything else names the table and what BigQuery said with its status: 404 notFound (a
      // table, dataset or project that is not there), 403 accessDenied, a quota...
      String status =
          e.getCode() > 0
              ? " (" + e.getCode() + (e.getReason() == null ? "" : " " + e.getReason()) + ")"
              : "";
      throw new IOException(
          "BigQuery could not run the query on " + table + ": " + message + status, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while BigQuery ran the query", e);
    }
  }

  /** Joins the lines of a message BigQuery wrote: the command prints one line. */
  private static String oneLine(String message) {
    return message.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  /** Returns the query job of a statement: Standard SQL with its named parameters. */
  static QueryJobConfiguration job(GeneratedSql sql) {
    Map<String, QueryParameterValue> parameters = new LinkedHashMap<>();
    for (Parameter p : sql.parameters()) {
      parameters.put(p.name(), value(p));
    }
    // Nothing here may take the client off jobs.query, BigQuery's one-call path for queries that
    // finish within its default wait of 10 s: a destination table, priority or job timeout would
    // make it insert a job and poll for it instead.
    return QueryJobConfiguration.newBuilder(sql.text())
        .setUseLegacySql(false)
        .setNamedParameters(parameters)
        .setLabels(JOB_LABELS)
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

  /**
   * Returns a cell as one of the plain types {@link EventStore#execute} promises. Types are matched
   * by their legacy names, which BigQuery sends, and their Standard SQL names, which the BigQuery
   * emulator sends ({@code INT64}, {@code FLOAT64}, {@code BOOL}).
   */
  private static Object plain(FieldValue value, LegacySQLTypeName type) {
    if (value.isNull()) {
      return null;
    }
    // A TIMESTAMP arrives as seconds in a decimal ("1.7940096E9") or as microseconds, as the client
    // asked for it, and becomes microseconds either way. The statements select times as
    // UNIX_MICROS; this keeps any other TIMESTAMP cell exact too.
    return switch (type.name()) {
      case "INTEGER", "INT64" -> value.getLongValue();
      case "FLOAT", "FLOAT64" -> value.getDoubleValue();
      case "BOOLEAN", "BOOL" -> value.getBooleanValue();
      case "TIMESTAMP" -> value.getTimestampValue();
      default -> value.getStringValue();
    };
  }

  @Override
  public void close() {
    // The client holds no connection of its own to close.
  }
}
