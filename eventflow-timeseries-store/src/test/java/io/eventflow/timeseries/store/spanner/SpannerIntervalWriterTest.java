package io.eventflow.timeseries.store.spanner;

import static io.eventflow.timeseries.store.spanner.MockSpannerServer.resultSet;
import static io.eventflow.timeseries.store.spanner.MockSpannerServer.string;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.spanner.MockSpannerServiceImpl.StatementResult;
import com.google.cloud.spanner.Statement;
import com.google.protobuf.ListValue;
import com.google.spanner.v1.CommitRequest;
import com.google.spanner.v1.Mutation;
import com.google.spanner.v1.TypeCode;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.StoreException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Spanner write side against google-cloud-spanner's in-process mock server. */
class SpannerIntervalWriterTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

  private MockSpannerServer server;
  private SpannerIntervalWriter writer;

  @BeforeEach
  void start() throws IOException {
    server = new MockSpannerServer();
    writer = SpannerIntervalWriter.open(server.options(), MockSpannerServer.DATABASE);
  }

  @AfterEach
  void stop() throws InterruptedException {
    writer.close();
    server.close();
  }

  @Test
  void rowsBecomeInsertOrUpdateMutationsWithTheCommitTimestamp() throws StoreException {
    writer.write(
        List.of(new IntervalRow("purchase.amount.sum", Resolution.QUARTER_HOUR, T0, -7, 12.5, 3)));

    List<Mutation> mutations = committedMutations();
    assertThat(mutations).hasSize(1);
    Mutation.Write write = mutations.get(0).getInsertOrUpdate();
    assertThat(write.getTable()).isEqualTo("intervals");
    Map<String, String> row = columns(write, 0);
    assertThat(row)
        .containsEntry("series", "purchase.amount.sum")
        .containsEntry("resolution", "900")
        .containsEntry("interval_start", "2025-03-01T10:00:00Z")
        .containsEntry("row_id", "-7")
        .containsEntry("aggregate_value", "12.5")
        .containsEntry("event_count", "3")
        .containsEntry("commit_time", "spanner.commit_timestamp()");
  }

  @Test
  void largeWritesAreSplitUnderTheMutationLimit() throws StoreException {
    int n = SpannerIntervalWriter.MAX_ROWS_PER_COMMIT + 5;
    writer.write(
        IntStream.range(0, n)
            .mapToObj(
                i ->
                    new IntervalRow("a.count", Resolution.MINUTE, T0.plusSeconds(60L * i), 1, 1, 1))
            .collect(Collectors.toList()));

    List<CommitRequest> commits = server.mock.getRequestsOfType(CommitRequest.class);
    assertThat(commits).hasSize(2);
    for (CommitRequest commit : commits) {
      int mutations = 0;
      for (Mutation m : commit.getMutationsList()) {
        mutations += m.getInsertOrUpdate().getValuesCount() * SpannerMutations.INTERVAL_COLUMNS;
      }
      assertThat(mutations).isLessThanOrEqualTo(80_000);
    }
    assertThat(
            committedMutations().stream()
                .mapToInt(m -> m.getInsertOrUpdate().getValuesCount())
                .sum())
        .isEqualTo(n);
  }

  @Test
  void catalogMergeWidensStoredEntriesAndSkipsUnchangedOnes() throws StoreException {
    Statement read =
        Statement.newBuilder(SpannerIntervalWriter.READ_CATALOG)
            .bind("names")
            .toStringArray(List.of("a.count", "b.count", "c.count"))
            .build();
    server.mock.putStatementResult(
        StatementResult.query(
            read,
            resultSet(
                List.of("name", "aggregate_function", "first_seen", "last_seen"),
                List.of(TypeCode.STRING, TypeCode.STRING, TypeCode.TIMESTAMP, TypeCode.TIMESTAMP),
                List.of(
                    List.of(
                        string("a.count"),
                        string("SUM"),
                        string("2025-03-01T09:00:00Z"),
                        string("2025-03-01T09:30:00Z")),
                    List.of(
                        string("b.count"),
                        string("SUM"),
                        string("2025-03-01T09:00:00Z"),
                        string("2025-03-01T12:00:00Z"))))));

    writer.mergeCatalog(
        List.of(
            new SeriesInfo("a.count", AggregateFunction.SUM, T0, T0),
            new SeriesInfo("b.count", AggregateFunction.SUM, T0, T0),
            new SeriesInfo("c.count", AggregateFunction.SUM, T0, T0),
            new SeriesInfo("c.count", AggregateFunction.SUM, T0.minusSeconds(60), T0)));

    List<Mutation> mutations = committedMutations();
    Map<String, Map<String, String>> byName = new java.util.HashMap<>();
    for (Mutation m : mutations) {
      assertThat(m.getInsertOrUpdate().getTable()).isEqualTo("series");
      for (int i = 0; i < m.getInsertOrUpdate().getValuesCount(); i++) {
        Map<String, String> row = columns(m.getInsertOrUpdate(), i);
        byName.put(row.get("name"), row);
      }
    }
    // b.count already covers 10:00, so it is not rewritten.
    assertThat(byName).containsOnlyKeys("a.count", "c.count");
    assertThat(byName.get("a.count"))
        .containsEntry("first_seen", "2025-03-01T09:00:00Z")
        .containsEntry("last_seen", "2025-03-01T10:00:00Z");
    assertThat(byName.get("c.count"))
        .containsEntry("first_seen", "2025-03-01T09:59:00Z")
        .containsEntry("last_seen", "2025-03-01T10:00:00Z")
        .containsEntry("aggregate_function", "SUM");
  }

  private List<Mutation> committedMutations() {
    List<Mutation> mutations = new ArrayList<>();
    for (CommitRequest commit : server.mock.getRequestsOfType(CommitRequest.class)) {
      mutations.addAll(commit.getMutationsList());
    }
    return mutations;
  }

  private static Map<String, String> columns(Mutation.Write write, int row) {
    ListValue values = write.getValues(row);
    Map<String, String> columns = new java.util.LinkedHashMap<>();
    for (int i = 0; i < write.getColumnsCount(); i++) {
      com.google.protobuf.Value v = values.getValues(i);
      columns.put(
          write.getColumns(i),
          v.hasNumberValue() ? Double.toString(v.getNumberValue()) : v.getStringValue());
    }
    return columns;
  }
}
