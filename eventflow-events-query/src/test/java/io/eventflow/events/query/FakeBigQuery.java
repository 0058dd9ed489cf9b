package io.eventflow.events.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The part of BigQuery's REST API (v2) that google-cloud-bigquery's {@code BigQuery.query} calls,
 * served on a free loopback port and recorded, answering each query with the next scripted {@link
 * Answer}. Point {@link BigQueryEventStore#EMULATOR_HOST_ENV} at {@link #endpoint()}.
 *
 * <p>What the client (2.55) does, and so what is served: {@code jobs.query} first (POST {@code
 * projects/P/queries}), whose answer carries the first page of rows. With more pages it reads the
 * job ({@code jobs.get}) for the anonymous table holding the result and lists that table's data by
 * page token ({@code tabledata.list}). An answer not complete at once ({@code jobComplete: false})
 * makes it read the job, wait with {@code jobs.getQueryResults} and list every page with {@code
 * tabledata.list}. Anything else the client might send ({@code jobs.insert}, which it uses only for
 * configurations {@link BigQueryEventStore} does not set) is answered 501, so a test fails saying
 * so. Values travel as BigQuery sends them: every cell a string or null.
 *
 * <p>A test class registers one for all its tests: {@code @RegisterExtension static final
 * FakeBigQuery BIGQUERY = FakeBigQuery.start();} forgets requests and answers before each test and
 * stops the server after the last.
 */
public final class FakeBigQuery implements BeforeEachCallback, AfterAllCallback, AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern QUERIES = Pattern.compile("/bigquery/v2/projects/([^/]+)/queries");
  private static final Pattern QUERY_RESULTS =
      Pattern.compile("/bigquery/v2/projects/([^/]+)/queries/([^/]+)");
  private static final Pattern JOB = Pattern.compile("/bigquery/v2/projects/([^/]+)/jobs/([^/]+)");
  private static final Pattern TABLE_DATA =
      Pattern.compile("/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)/data");

  /** The dataset the fake says holds every query's anonymous result table. */
  private static final String RESULTS_DATASET = "_fake_results";

  private final HttpServer server;
  private final Deque<Answer> answers = new ArrayDeque<>();
  private final List<Request> requests = new ArrayList<>();
  private final Map<String, Answer> jobs = new HashMap<>();

  /**
   * One HTTP request the fake received.
   *
   * @param method GET or POST
   * @param path the path, from {@code /bigquery/v2/}
   * @param parameters the query string's parameters
   * @param body the JSON body (gunzipped: the client compresses what it posts), or null
   */
  public record Request(String method, String path, Map<String, String> parameters, JsonNode body) {
    /** Returns the method and path, e.g. {@code POST /bigquery/v2/projects/p/queries}. */
    public String line() {
      return method + " " + path;
    }
  }

  /**
   * A result column, nullable, as the result schema BigQuery sends names it.
   *
   * @param name the column name
   * @param type its type: {@code INTEGER}, {@code FLOAT}, {@code STRING}, {@code BOOLEAN}, {@code
   *     TIMESTAMP} (BigQuery's legacy names, which its answers use) or a Standard SQL name
   */
  public record Column(String name, String type) {}

  /**
   * What the fake answers the next query: rows in pages, or an error.
   *
   * @param schema the result columns
   * @param rows the rows, each cell the string BigQuery sends or null
   * @param pageSize rows per page
   * @param pending whether {@code jobs.query} answers "not complete yet", so that the client waits
   *     for the job and reads every page with {@code tabledata.list}
   * @param status the HTTP status of an error, or 200
   * @param reason the error's reason ({@code invalidQuery}, {@code notFound}, {@code
   *     accessDenied}), or null
   * @param message the error's message, or null
   */
  public record Answer(
      List<Column> schema,
      List<List<String>> rows,
      int pageSize,
      boolean pending,
      int status,
      String reason,
      String message) {
    /** Returns rows in one page, complete at once. */
    public static Answer rows(List<Column> schema, List<List<String>> rows) {
      return new Answer(schema, rows, Math.max(1, rows.size()), false, 200, null, null);
    }

    /** Returns BigQuery's refusal: an HTTP status with an error reason and message. */
    public static Answer error(int status, String reason, String message) {
      return new Answer(List.of(), List.of(), 1, false, status, reason, message);
    }

    /** Returns these rows in pages of {@code size}. */
    public Answer inPagesOf(int size) {
      return new Answer(schema, rows, size, pending, status, reason, message);
    }

    /** Returns these rows, the query not complete when posted: the client has to wait for it. */
    public Answer completeOnlyLater() {
      return new Answer(schema, rows, pageSize, true, status, reason, message);
    }

    int pages() {
      return Math.max(1, (rows.size() + pageSize - 1) / pageSize);
    }

    List<List<String>> page(int index) {
      int from = Math.min(rows.size(), index * pageSize);
      return rows.subList(from, Math.min(rows.size(), from + pageSize));
    }
  }

  private FakeBigQuery() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts the fake on a free loopback port. */
  public static FakeBigQuery start() {
    try {
      return new FakeBigQuery();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve on a loopback port", e);
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    reset();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  /** Returns {@code http://127.0.0.1:PORT}, the value for the emulator variable. */
  public String endpoint() {
    return "http://"
        + InetAddress.getLoopbackAddress().getHostAddress()
        + ":"
        + server.getAddress().getPort();
  }

  /** Scripts the answer to the next query not yet answered. */
  public synchronized FakeBigQuery answer(Answer answer) {
    answers.add(answer);
    return this;
  }

  /** Returns every request so far, in order. */
  public synchronized List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Returns the bodies of the queries so far ({@code jobs.query}), in order. */
  public synchronized List<JsonNode> queries() {
    return requests.stream()
        .filter(r -> r.method().equals("POST") && QUERIES.matcher(r.path()).matches())
        .map(Request::body)
        .toList();
  }

  /** Forgets the requests, jobs and answers so far: job ids start again from job_1. */
  public synchronized void reset() {
    requests.clear();
    answers.clear();
    jobs.clear();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      Map<String, String> parameters = parameters(exchange.getRequestURI().getRawQuery());
      JsonNode body = body(exchange);
      Response response;
      synchronized (this) {
        requests.add(new Request(method, path, parameters, body));
        response = respond(method, path, parameters);
      }
      byte[] bytes = JSON.writeValueAsBytes(response.body());
      exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
      exchange.sendResponseHeaders(response.status(), bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } finally {
      exchange.close();
    }
  }

  /** An HTTP status and its JSON body. */
  private record Response(int status, ObjectNode body) {
    static Response ok(ObjectNode body, String path) {
      return body == null
          ? new Response(404, error(404, "notFound", "Not found: " + path))
          : new Response(200, body);
    }
  }

  private Response respond(String method, String path, Map<String, String> parameters) {
    Matcher queries = QUERIES.matcher(path);
    if (method.equals("POST") && queries.matches()) {
      Answer answer = answers.poll();
      if (answer == null) {
        answer = Answer.error(501, "notImplemented", "fake BigQuery: no answer scripted");
      }
      if (answer.status() != 200) {
        return new Response(
            answer.status(), error(answer.status(), answer.reason(), answer.message()));
      }
      String job = "job_" + (jobs.size() + 1);
      jobs.put(job, answer);
      return Response.ok(query(queries.group(1), job, answer), path);
    }
    Matcher results = QUERY_RESULTS.matcher(path);
    if (method.equals("GET") && results.matches()) {
      return Response.ok(queryResults(results.group(1), results.group(2), parameters), path);
    }
    Matcher jobPath = JOB.matcher(path);
    if (method.equals("GET") && jobPath.matches()) {
      return Response.ok(job(jobPath.group(1), jobPath.group(2)), path);
    }
    Matcher data = TABLE_DATA.matcher(path);
    if (method.equals("GET") && data.matches()) {
      return Response.ok(tableData(data.group(3), parameters), path);
    }
    return new Response(
        501, error(501, "notImplemented", "fake BigQuery does not serve " + method + " " + path));
  }

  /** jobs.query: the first page, or "not complete yet" for a pending answer. */
  private ObjectNode query(String project, String job, Answer answer) {
    ObjectNode response = JSON.createObjectNode().put("kind", "bigquery#queryResponse");
    response.set("jobReference", jobReference(project, job));
    if (answer.pending()) {
      return response.put("jobComplete", false);
    }
    response.set("schema", schema(answer));
    response.put("totalRows", Integer.toString(answer.rows().size()));
    addPage(response, answer, 0);
    return response.put("jobComplete", true).put("cacheHit", false);
  }

  /** jobs.getQueryResults: complete, with the schema and no rows when asked for none. */
  private ObjectNode queryResults(String project, String job, Map<String, String> parameters) {
    Answer answer = jobs.get(job);
    if (answer == null) {
      return null;
    }
    ObjectNode response = JSON.createObjectNode().put("kind", "bigquery#getQueryResultsResponse");
    response.set("jobReference", jobReference(project, job));
    response.set("schema", schema(answer));
    response.put("totalRows", Integer.toString(answer.rows().size()));
    if (!"0".equals(parameters.get("maxResults"))) {
      addPage(response, answer, page(parameters));
    }
    return response.put("jobComplete", true).put("cacheHit", false);
  }

  /** jobs.get: a finished query job whose result is in an anonymous table of its own. */
  private ObjectNode job(String project, String job) {
    if (!jobs.containsKey(job)) {
      return null;
    }
    ObjectNode response = JSON.createObjectNode().put("kind", "bigquery#job");
    response.put("id", project + ":US." + job);
    response.set("jobReference", jobReference(project, job));
    ObjectNode query =
        response.putObject("configuration").put("jobType", "QUERY").putObject("query");
    query.put("query", "(as posted)").put("useLegacySql", false);
    query
        .putObject("destinationTable")
        .put("projectId", project)
        .put("datasetId", RESULTS_DATASET)
        .put("tableId", "anon_" + job);
    response.putObject("status").put("state", "DONE");
    return response;
  }

  /** tabledata.list of a job's anonymous table: the page its token names, the first without. */
  private ObjectNode tableData(String table, Map<String, String> parameters) {
    Answer answer = table.startsWith("anon_") ? jobs.get(table.substring(5)) : null;
    if (answer == null) {
      return null;
    }
    ObjectNode response = JSON.createObjectNode().put("kind", "bigquery#tableDataList");
    response.put("totalRows", Integer.toString(answer.rows().size()));
    addPage(response, answer, page(parameters));
    return response;
  }

  private static int page(Map<String, String> parameters) {
    String token = parameters.get("pageToken");
    return token == null ? 0 : Integer.parseInt(token.substring("page-".length()));
  }

  private static void addPage(ObjectNode response, Answer answer, int index) {
    if (index + 1 < answer.pages()) {
      response.put("pageToken", "page-" + (index + 1));
    }
    ArrayNode rows = response.putArray("rows");
    for (List<String> row : answer.page(index)) {
      ArrayNode cells = rows.addObject().putArray("f");
      for (String cell : row) {
        cells.addObject().put("v", cell);
      }
    }
  }

  private static ObjectNode schema(Answer answer) {
    ObjectNode schema = JSON.createObjectNode();
    ArrayNode fields = schema.putArray("fields");
    for (Column column : answer.schema()) {
      fields
          .addObject()
          .put("name", column.name())
          .put("type", column.type())
          .put("mode", "NULLABLE");
    }
    return schema;
  }

  private static ObjectNode jobReference(String project, String job) {
    return JSON.createObjectNode()
        .put("projectId", project)
        .put("jobId", job)
        .put("location", "US");
  }

  /** BigQuery's error body, which the client turns into a {@code BigQueryException}. */
  private static ObjectNode error(int status, String reason, String message) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode error = body.putObject("error").put("code", status).put("message", message);
    error
        .putArray("errors")
        .addObject()
        .put("message", message)
        .put("domain", "global")
        .put("reason", reason);
    error.put(
        "status",
        switch (status) {
          case 400 -> "INVALID_ARGUMENT";
          case 403 -> "PERMISSION_DENIED";
          case 404 -> "NOT_FOUND";
          default -> "UNKNOWN";
        });
    return body;
  }

  private static Map<String, String> parameters(String rawQuery) {
    Map<String, String> parameters = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return parameters;
    }
    for (String pair : rawQuery.split("&")) {
      String[] kv = pair.split("=", 2);
      parameters.put(
          URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
          kv.length == 2 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
    }
    return parameters;
  }

  private static JsonNode body(HttpExchange exchange) throws IOException {
    byte[] bytes;
    try (InputStream in = exchange.getRequestBody()) {
      bytes = in.readAllBytes();
    }
    if (bytes.length == 0) {
      return null;
    }
    if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
        bytes = in.readAllBytes();
      }
    }
    return JSON.readTree(bytes);
  }
}
