package io.eventflow.events.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventflow.events.query.FakeBigQuery.Answer;
import io.eventflow.events.query.FakeBigQuery.Column;
import io.eventflow.events.query.FakeBigQuery.Request;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link BigQueryEventStore} running statements through google-cloud-bigquery against {@link
 * FakeBigQuery}: every page of an answer, the job the client waits for when an answer is not
 * complete at once, and cells in the forms BigQuery and its emulator send them. What the command
 * sends and prints is {@code EventsQueryBigQueryTest}'s (eventflow-cli).
 */
class BigQueryEventStoreTest {
  private static final String TABLE = "my-project.eventflow.events";
  private static final List<Column> NUMBERED = List.of(new Column("n", "INTEGER"));

  @RegisterExtension static final FakeBigQuery BIGQUERY = FakeBigQuery.start();

  /** Five rows in pages of two: the first page comes with the answer, two more are listed. */
  @Test
  void readsEveryPageOfAnAnswer() throws Exception {
    BIGQUERY.answer(Answer.rows(NUMBERED, numbers(5)).inPagesOf(2));

    assertThat(run("SELECT n FROM t", BIGQUERY.endpoint())).containsExactly(1L, 2L, 3L, 4L, 5L);

    assertThat(BIGQUERY.requests())
        .extracting(BigQueryEventStoreTest::describe)
        .containsExactly(
            "POST /bigquery/v2/projects/my-project/queries",
            "GET /bigquery/v2/projects/my-project/jobs/job_1",
            "GET /bigquery/v2/projects/my-project/datasets/_fake_results/tables/anon_job_1/data"
                + " pageToken=page-1",
            "GET /bigquery/v2/projects/my-project/datasets/_fake_results/tables/anon_job_1/data"
                + " pageToken=page-2");
    JsonNode query = BIGQUERY.queries().get(0);
    assertThat(query.get("query").asText()).isEqualTo("SELECT n FROM t");
    assertThat(query.get("useLegacySql").asBoolean(true)).isFalse();
    assertThat(query.get("labels").toString())
        .isEqualTo("{\"eventflow-command\":\"events-query\"}");
  }

  /**
   * An answer not complete when the query is posted (BigQuery waits 10 s by default): the client
   * reads the job, waits for its results and lists every page of the job's result table.
   */
  @Test
  void waitsForAQueryNotCompleteAtOnce() throws Exception {
    BIGQUERY.answer(Answer.rows(NUMBERED, numbers(3)).inPagesOf(2).completeOnlyLater());

    assertThat(run("SELECT n FROM t", BIGQUERY.endpoint())).containsExactly(1L, 2L, 3L);

    assertThat(BIGQUERY.requests())
        .extracting(BigQueryEventStoreTest::describe)
        .containsSubsequence(
            "POST /bigquery/v2/projects/my-project/queries",
            "GET /bigquery/v2/projects/my-project/queries/job_1",
            "GET /bigquery/v2/projects/my-project/datasets/_fake_results/tables/anon_job_1/data",
            "GET /bigquery/v2/projects/my-project/datasets/_fake_results/tables/anon_job_1/data"
                + " pageToken=page-1");
  }

  /**
   * Cells as BigQuery sends them (legacy type names, a TIMESTAMP as decimal seconds, NaN as a
   * string) and as the BigQuery emulator does (Standard SQL type names), and nulls of each.
   */
  @Test
  void readsCellsInTheFormsBigQueryAndItsEmulatorSend() throws Exception {
    List<Column> columns =
        List.of(
            new Column("n", "INTEGER"),
            new Column("x", "FLOAT"),
            new Column("b", "BOOLEAN"),
            new Column("t", "TIMESTAMP"),
            new Column("s", "STRING"),
            new Column("n64", "INT64"),
            new Column("x64", "FLOAT64"),
            new Column("b64", "BOOL"));
    List<String> nulls = Arrays.asList(new String[columns.size()]);
    BIGQUERY.answer(
        Answer.rows(
            columns,
            List.of(
                List.of(
                    "42", "4.25E1", "true", "1.794013800123456E9", "acme", "-7", "NaN", "false"),
                nulls)));

    List<Object[]> rows = runRows("SELECT * FROM t", BIGQUERY.endpoint());

    assertThat(rows.get(0))
        .containsExactly(42L, 42.5, true, 1_794_013_800_123_456L, "acme", -7L, Double.NaN, false);
    assertThat(rows.get(1)).containsOnlyNulls().hasSize(columns.size());
  }

  /** {@code host:port} without a scheme is plain HTTP, as an emulator speaks it. */
  @Test
  void anEmulatorHostWithoutSchemeIsPlainHttp() throws Exception {
    assertThat(BigQueryEventStore.endpoint(" localhost:9050 ")).isEqualTo("http://localhost:9050");
    assertThat(BigQueryEventStore.endpoint("https://bigquery.example:8443"))
        .isEqualTo("https://bigquery.example:8443");
    BIGQUERY.answer(Answer.rows(NUMBERED, numbers(1)));

    String hostPort = BIGQUERY.endpoint().substring("http://".length());
    assertThat(run("SELECT 1", hostPort)).containsExactly(1L);
  }

  private static List<Object> run(String sql, String emulatorHost) throws Exception {
    List<Object> firstColumn = new ArrayList<>();
    runRows(sql, emulatorHost).forEach(row -> firstColumn.add(row[0]));
    return firstColumn;
  }

  private static List<Object[]> runRows(String sql, String emulatorHost) throws Exception {
    Map<String, String> environment = Map.of(BigQueryEventStore.EMULATOR_HOST_ENV, emulatorHost);
    try (BigQueryEventStore store = BigQueryEventStore.of(TABLE, environment::get)) {
      return store.execute(new GeneratedSql(sql, List.of(), false));
    }
  }

  private static List<List<String>> numbers(int count) {
    List<List<String>> rows = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      rows.add(List.of(Integer.toString(i)));
    }
    return rows;
  }

  /** The method and path of a request, and its page token if it has one. */
  private static String describe(Request request) {
    String token = request.parameters().get("pageToken");
    return request.line() + (token == null ? "" : " pageToken=" + token);
  }
}
