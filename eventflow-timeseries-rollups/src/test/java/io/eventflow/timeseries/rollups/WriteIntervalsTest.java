package io.eventflow.timeseries.rollups;

import static io.eventflow.timeseries.store.spanner.MockSpannerServer.resultSet;
import static io.eventflow.timeseries.store.spanner.MockSpannerServer.string;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.spanner.MockSpannerServiceImpl;
import com.google.cloud.spanner.MockSpannerServiceImpl.StatementResult;
import com.google.cloud.spanner.Statement;
import com.google.protobuf.ListValue;
import com.google.protobuf.Value;
import com.google.spanner.v1.CommitRequest;
import com.google.spanner.v1.Mutation;
import com.google.spanner.v1.TypeCode;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.IntervalRows;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalStore;
import io.eventflow.timeseries.store.spanner.MockSpannerServer;
import io.eventflow.timeseries.store.spanner.SpannerIntervalWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sinks: SpannerIO against the in-process mock Spanner, and the batched JDBC writer. */
class WriteIntervalsTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

  // SpannerIO.write() reads the schema first with exactly these two queries (Beam 2.73,
  // ReadSpannerSchema, GoogleSQL dialect); the mock must answer them.
  private static final String COLUMNS_QUERY =
      "SELECT    c.table_name  , c.column_name  , c.spanner_type  , (1 + COALESCE(t.indices, 0))"
          + " AS cells_mutated  FROM (    SELECT c.table_name, c.column_name, c.spanner_type,"
          + " c.ordinal_position     FROM information_schema.columns as c     WHERE"
          + " c.table_catalog = '' AND c.table_schema = '') AS c  LEFT OUTER JOIN (    SELECT"
          + " t.table_name, t.column_name, COUNT(*) AS indices      FROM"
          + " information_schema.index_columns AS t       WHERE t.index_name != 'PRIMARY_KEY' AND"
          + " t.table_catalog = ''      AND t.table_schema = ''      GROUP BY t.table_name,"
          + " t.column_name) AS t  USING (table_name, column_name)  ORDER BY c.table_name,"
          + " c.ordinal_position";
  private static final String PRIMARY_KEY_QUERY =
      "SELECT t.table_name, t.column_name, t.column_ordering FROM information_schema.index_columns"
          + " AS t  WHERE t.index_name = 'PRIMARY_KEY' AND t.table_catalog = '' AND"
          + " t.table_schema = '' ORDER BY t.table_name, t.ordinal_position";

  @TempDir Path dir;

  @Test
  void spannerSinkCommitsInsertOrUpdateRowsAndMergesTheCatalog() throws Exception {
    MockSpannerServer spanner = new MockSpannerServer();
    MockSpannerServiceImpl mock = spanner.mock;
    try {
      answerSchemaQueries(mock);
      mock.putStatementResult(
          StatementResult.query(
              Statement.newBuilder(SpannerIntervalWriter.READ_CATALOG)
                  .bind("names")
                  .toStringArray(List.of("a.count"))
                  .build(),
              resultSet(
                  List.of("name", "aggregate_function", "first_seen", "last_seen"),
                  List.of(TypeCode.STRING, TypeCode.STRING, TypeCode.TIMESTAMP, TypeCode.TIMESTAMP),
                  List.of())));

      List<IntervalRow> rows = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        rows.add(new IntervalRow("a.count", Resolution.MINUTE, T0.plusSeconds(60L * i), i, i, 1));
      }
      Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
      tuple(
              p,
              rows,
              List.of(new SeriesInfo("a.count", AggregateFunction.SUM, T0, T0.plusSeconds(2940))))
          .apply(
              WriteIntervals.toSpanner(
                  new IntervalWriterFactory.SpannerTarget(
                      "test-project", "test-instance", "test-db", spanner.hostAndPort())));
      p.run().waitUntilFinish();

      Map<Long, List<String>> intervalRows = new HashMap<>();
      List<List<String>> catalogRows = new ArrayList<>();
      for (CommitRequest commit : mock.getRequestsOfType(CommitRequest.class)) {
        for (Mutation m : commit.getMutationsList()) {
          assertThat(m.hasInsertOrUpdate()).as("only insert-or-update mutations").isTrue();
          Mutation.Write w = m.getInsertOrUpdate();
          for (ListValue values : w.getValuesList()) {
            List<String> row = strings(values);
            if (w.getTable().equals("intervals")) {
              assertThat(w.getColumnsList())
                  .containsExactly(
                      "series",
                      "resolution",
                      "interval_start",
                      "row_id",
                      "aggregate_value",
                      "event_count",
                      "commit_time");
              intervalRows.put(Long.parseLong(row.get(3)), row);
            } else {
              assertThat(w.getTable()).isEqualTo("series");
              catalogRows.add(row);
            }
          }
        }
      }
      assertThat(intervalRows).hasSize(50);
      assertThat(intervalRows.get(7L))
          .containsExactly(
              "a.count",
              "60",
              "2025-03-01T10:07:00Z",
              "7",
              "7.0",
              "1",
              "spanner.commit_timestamp()");
      assertThat(catalogRows)
          .containsExactly(
              List.of(
                  "a.count",
                  "SUM",
                  "2025-03-01T10:00:00Z",
                  "2025-03-01T10:49:00Z",
                  "spanner.commit_timestamp()"));
    } finally {
      spanner.close();
    }
  }

  /**
   * A retried bundle writes the same pane's rows again: the keys are the same, so the store still
   * holds each row once and sums are unchanged.
   */
  @Test
  void rewritingTheSamePaneDoesNotDoubleCount() throws StoreException {
    String url = "jdbc:h2:file:" + dir.resolve("intervals");
    IntervalAccumulator acc = new IntervalAccumulator();
    acc.add(AggregateFunction.SUM, T0.getEpochSecond(), 4, 4);
    List<IntervalRow> pane =
        acc.rows("a.count", (s, r, start) -> RowIds.rowId("salt", s, r, start, Long.MAX_VALUE, 3));
    SeriesInfo info = new SeriesInfo("a.count", AggregateFunction.SUM, T0, T0);

    for (int attempt = 0; attempt < 2; attempt++) {
      Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
      tuple(p, pane, List.of(info)).apply(WriteIntervals.toJdbc(url));
      p.run().waitUntilFinish();
    }

    try (JdbcIntervalStore store = JdbcIntervalStore.open(url, Clock.systemUTC())) {
      IntervalRows minute =
          store.readIntervals("a.count", Resolution.MINUTE, T0, T0.plusSeconds(60));
      assertThat(minute.size()).isEqualTo(1);
      assertThat(minute.value(0)).isEqualTo(4.0);
      assertThat(
              store
                  .readIntervals("a.count", Resolution.QUARTER_HOUR, T0, T0.plusSeconds(900))
                  .size())
          .isEqualTo(1);
      assertThat(store.series("a.count")).contains(info);
    }
  }

  private static PCollectionTuple tuple(
      Pipeline p, List<IntervalRow> rows, List<SeriesInfo> catalog) {
    PCollection<IntervalRow> r =
        p.apply("Rows", Create.of(rows).withCoder(RollupCoders.IntervalRowCoder.of()));
    PCollection<SeriesInfo> c =
        p.apply("Catalog", Create.of(catalog).withCoder(RollupCoders.SeriesInfoCoder.of()));
    return PCollectionTuple.of(ComputeRollups.ROWS, r).and(ComputeRollups.CATALOG, c);
  }

  private static void answerSchemaQueries(MockSpannerServiceImpl mock) {
    String[][] columns = {
      {"series", "STRING(1024)"},
      {"resolution", "INT64"},
      {"interval_start", "TIMESTAMP"},
      {"row_id", "INT64"},
      {"aggregate_value", "FLOAT64"},
      {"event_count", "INT64"},
      {"commit_time", "TIMESTAMP"},
    };
    List<List<Value>> columnRows = new ArrayList<>();
    for (String[] c : columns) {
      columnRows.add(List.of(string("intervals"), string(c[0]), string(c[1]), string("1")));
    }
    mock.putStatementResult(
        StatementResult.query(
            Statement.of(COLUMNS_QUERY),
            resultSet(
                List.of("table_name", "column_name", "spanner_type", "cells_mutated"),
                List.of(TypeCode.STRING, TypeCode.STRING, TypeCode.STRING, TypeCode.INT64),
                columnRows)));
    List<List<Value>> keyRows = new ArrayList<>();
    for (String key : List.of("series", "resolution", "interval_start", "row_id")) {
      keyRows.add(List.of(string("intervals"), string(key), string("ASC")));
    }
    mock.putStatementResult(
        StatementResult.query(
            Statement.of(PRIMARY_KEY_QUERY),
            resultSet(
                List.of("table_name", "column_name", "column_ordering"),
                List.of(TypeCode.STRING, TypeCode.STRING, TypeCode.STRING),
                keyRows)));
  }

  private static List<String> strings(ListValue values) {
    List<String> out = new ArrayList<>();
    for (Value v : values.getValuesList()) {
      out.add(v.hasNumberValue() ? Double.toString(v.getNumberValue()) : v.getStringValue());
    }
    return out;
  }
}
