package io.eventflow.timeseries.store.spanner;

import static io.eventflow.timeseries.store.spanner.MockSpannerServer.float64;
import static io.eventflow.timeseries.store.spanner.MockSpannerServer.int64;
import static io.eventflow.timeseries.store.spanner.MockSpannerServer.resultSet;
import static io.eventflow.timeseries.store.spanner.MockSpannerServer.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.spanner.MockSpannerServiceImpl.SimulatedExecutionTime;
import com.google.cloud.spanner.MockSpannerServiceImpl.StatementResult;
import com.google.cloud.spanner.Statement;
import com.google.protobuf.Value;
import com.google.spanner.v1.ExecuteSqlRequest;
import com.google.spanner.v1.ResultSet;
import com.google.spanner.v1.TypeCode;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRows;
import io.eventflow.timeseries.store.PageTokens;
import io.eventflow.timeseries.store.ReadLimits;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.RowLimitException;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.SeriesPage;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.StoreTimeoutException;
import io.grpc.Status;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Spanner read side against google-cloud-spanner's in-process mock server. */
class SpannerIntervalStoreTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
  private static final List<String> SERIES_COLUMNS =
      List.of("name", "aggregate_function", "first_seen", "last_seen");
  private static final List<TypeCode> SERIES_TYPES =
      List.of(TypeCode.STRING, TypeCode.STRING, TypeCode.TIMESTAMP, TypeCode.TIMESTAMP);

  private MockSpannerServer server;
  private SpannerIntervalStore store;

  @BeforeEach
  void start() throws IOException {
    server = new MockSpannerServer();
    store =
        SpannerIntervalStore.open(
            server.options(), MockSpannerServer.DATABASE, Duration.ofSeconds(10));
  }

  @AfterEach
  void stop() throws InterruptedException {
    store.close();
    server.close();
  }

  @Test
  void intervalsAreReadWithBoundedStalenessInIntervalOrder() throws StoreException {
    Statement query =
        intervals("purchase.count", 60, T0.plusSeconds(600), ReadLimits.NONE.sqlLimit());
    server.mock.putStatementResult(
        StatementResult.query(
            query,
            resultSet(
                List.of("interval_start", "aggregate_value", "event_count"),
                List.of(TypeCode.TIMESTAMP, TypeCode.FLOAT64, TypeCode.INT64),
                List.of(
                    List.of(string("2025-03-01T10:00:00Z"), float64(2), int64(2)),
                    List.of(string("2025-03-01T10:00:00Z"), float64(5), int64(5)),
                    List.of(string("2025-03-01T10:02:00Z"), float64(3), int64(3))))));

    IntervalRows rows =
        store.readIntervals("purchase.count", Resolution.MINUTE, T0, T0.plusSeconds(600));

    assertThat(rows.size()).isEqualTo(3);
    assertThat(rows.intervalStart(0)).isEqualTo(T0.getEpochSecond());
    assertThat(rows.intervalStart(2)).isEqualTo(T0.getEpochSecond() + 120);
    assertThat(rows.value(1)).isEqualTo(5.0);
    assertThat(rows.eventCount(2)).isEqualTo(3);
    assertThat(rows.readTimestamp()).isNotNull();

    ExecuteSqlRequest request = lastQuery();
    assertThat(request.getTransaction().getSingleUse().getReadOnly().getMaxStaleness().getSeconds())
        .isEqualTo(10);
  }

  @Test
  void manyRowsGrowTheColumns() throws StoreException {
    Statement query =
        intervals("a.count", 900, T0.plusSeconds(900L * 200), ReadLimits.NONE.sqlLimit());
    List<List<Value>> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      rows.add(List.of(string(T0.plusSeconds(900L * i).toString()), float64(i), int64(1)));
    }
    server.mock.putStatementResult(
        StatementResult.query(
            query,
            resultSet(
                List.of("interval_start", "aggregate_value", "event_count"),
                List.of(TypeCode.TIMESTAMP, TypeCode.FLOAT64, TypeCode.INT64),
                rows)));

    IntervalRows read =
        store.readIntervals("a.count", Resolution.QUARTER_HOUR, T0, T0.plusSeconds(900L * 200));

    assertThat(read.size()).isEqualTo(200);
    assertThat(read.value(199)).isEqualTo(199.0);
    assertThat(read.intervalStart(199)).isEqualTo(T0.getEpochSecond() + 900L * 199);
  }

  /** The interval query from T0 to {@code end}, asking for at most {@code limit} rows. */
  private static Statement intervals(String series, long resolution, Instant end, long limit) {
    return Statement.newBuilder(SpannerIntervalStore.READ_INTERVALS)
        .bind("series")
        .to(series)
        .bind("resolution")
        .to(resolution)
        .bind("start")
        .to(SpannerMutations.timestamp(T0))
        .bind("end")
        .to(SpannerMutations.timestamp(end))
        .bind("limit")
        .to(limit)
        .build();
  }

  /** The query for ten minutes of a.count minute rows, asking for at most {@code limit} rows. */
  private static Statement tenMinutes(long limit) {
    return intervals("a.count", 60, T0.plusSeconds(600), limit);
  }

  private static ResultSet minuteRows(int n) {
    List<List<Value>> rows = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(List.of(string(T0.plusSeconds(60L * i).toString()), float64(i), int64(1)));
    }
    return resultSet(
        List.of("interval_start", "aggregate_value", "event_count"),
        List.of(TypeCode.TIMESTAMP, TypeCode.FLOAT64, TypeCode.INT64),
        rows);
  }

  @Test
  void rowCapAsksForOneRowPastItAndFailsWhenItComes() throws StoreException {
    // Spanner honours the LIMIT: the mock returns what it would, at most the cap plus one.
    server.mock.putStatementResult(StatementResult.query(tenMinutes(4), minuteRows(4)));
    server.mock.putStatementResult(StatementResult.query(tenMinutes(5), minuteRows(4)));
    Instant end = T0.plusSeconds(600);

    assertThatThrownBy(
            () ->
                store.readIntervals("a.count", Resolution.MINUTE, T0, end, new ReadLimits(3, null)))
        .isInstanceOf(RowLimitException.class)
        .hasMessage("reading MINUTE intervals of a.count would return more than 3 rows");
    assertThat(
            store
                .readIntervals("a.count", Resolution.MINUTE, T0, end, new ReadLimits(4, null))
                .size())
        .isEqualTo(4);
  }

  @Test
  void readPastItsTimeoutIsCancelledInSpanner() {
    server.mock.putStatementResult(StatementResult.query(tenMinutes(11), minuteRows(10)));
    // The mock answers after 30 s; the read may take 200 ms. Without the deadline the read would
    // succeed after 30 s, so the exception alone shows the deadline reached Spanner's call.
    server.mock.setExecuteStreamingSqlExecutionTime(
        SimulatedExecutionTime.ofMinimumAndRandomTime(30_000, 0));

    assertThatThrownBy(
            () ->
                store.readIntervals(
                    "a.count",
                    Resolution.MINUTE,
                    T0,
                    T0.plusSeconds(600),
                    new ReadLimits(10, Duration.ofMillis(200))))
        .isInstanceOf(StoreTimeoutException.class);
  }

  @Test
  void catalogReadsPastTheirTimeoutAreCancelledInSpanner() {
    server.mock.putStatementResult(
        StatementResult.query(
            Statement.newBuilder(SpannerIntervalStore.READ_SERIES).bind("name").to("slow").build(),
            catalog(List.of("slow"))));
    server.mock.putStatementResult(
        StatementResult.query(listing("", "", 11), catalog(List.of("slow"))));
    // The mock answers after 30 s; the reads may take 200 ms each.
    server.mock.setExecuteStreamingSqlExecutionTime(
        SimulatedExecutionTime.ofMinimumAndRandomTime(30_000, 0));

    assertThatThrownBy(() -> store.series("slow", Duration.ofMillis(200)))
        .isInstanceOf(StoreTimeoutException.class);
    assertThatThrownBy(() -> store.listSeries("", 10, "", Duration.ofMillis(200)))
        .isInstanceOf(StoreTimeoutException.class);
  }

  @Test
  void noTimeLeftFailsBeforeQuerying() {
    assertThatThrownBy(
            () ->
                store.readIntervals(
                    "a.count",
                    Resolution.MINUTE,
                    T0,
                    T0.plusSeconds(600),
                    new ReadLimits(10, Duration.ZERO)))
        .isInstanceOf(StoreTimeoutException.class);
    assertThat(server.mock.countRequestsOfType(ExecuteSqlRequest.class)).isZero();
  }

  @Test
  void knownSeriesIsReadFromTheCatalog() throws StoreException {
    server.mock.putStatementResult(
        StatementResult.query(
            Statement.newBuilder(SpannerIntervalStore.READ_SERIES)
                .bind("name")
                .to("purchase.amount.sum")
                .build(),
            catalog(List.of("purchase.amount.sum"))));
    server.mock.putStatementResult(
        StatementResult.query(
            Statement.newBuilder(SpannerIntervalStore.READ_SERIES).bind("name").to("nope").build(),
            catalog(List.of())));

    assertThat(store.series("purchase.amount.sum"))
        .contains(
            new SeriesInfo("purchase.amount.sum", AggregateFunction.SUM, T0, T0.plusSeconds(3600)));
    assertThat(store.series("nope")).isEmpty();
  }

  @Test
  void listingAsksForOneExtraRowAndIssuesATokenOnlyWhenMoreRemain() throws StoreException {
    server.mock.putStatementResult(
        StatementResult.query(
            listing("purchase.", "", 3),
            catalog(List.of("purchase.a.count", "purchase.b.count", "purchase.c.count"))));
    server.mock.putStatementResult(
        StatementResult.query(
            listing("purchase.", "purchase.b.count", 3), catalog(List.of("purchase.c.count"))));

    SeriesPage first = store.listSeries("purchase.", 2, "");
    assertThat(first.series())
        .extracting(SeriesInfo::name)
        .containsExactly("purchase.a.count", "purchase.b.count");
    assertThat(PageTokens.decode("purchase.", first.nextPageToken())).isEqualTo("purchase.b.count");

    SeriesPage second = store.listSeries("purchase.", 2, first.nextPageToken());
    assertThat(second.series()).extracting(SeriesInfo::name).containsExactly("purchase.c.count");
    assertThat(second.nextPageToken()).isEmpty();
  }

  @Test
  void foreignPageTokenIsRejectedBeforeQuerying() {
    assertThatThrownBy(() -> store.listSeries("purchase.", 2, "garbage!"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(server.mock.countRequestsOfType(ExecuteSqlRequest.class)).isZero();
  }

  @Test
  void spannerErrorsBecomeStoreExceptions() {
    server.mock.putStatementResult(
        StatementResult.exception(
            Statement.newBuilder(SpannerIntervalStore.READ_SERIES).bind("name").to("x").build(),
            Status.PERMISSION_DENIED.withDescription("no access").asRuntimeException()));

    assertThatThrownBy(() -> store.series("x"))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("series x");
  }

  private ExecuteSqlRequest lastQuery() {
    List<ExecuteSqlRequest> requests = server.mock.getRequestsOfType(ExecuteSqlRequest.class);
    return requests.get(requests.size() - 1);
  }

  private static Statement listing(String prefix, String after, long limit) {
    return Statement.newBuilder(SpannerIntervalStore.LIST_SERIES)
        .bind("prefix")
        .to(prefix)
        .bind("after")
        .to(after)
        .bind("limit")
        .to(limit)
        .build();
  }

  private static ResultSet catalog(List<String> names) {
    return resultSet(
        SERIES_COLUMNS,
        SERIES_TYPES,
        names.stream()
            .map(
                n ->
                    List.of(
                        string(n),
                        string("SUM"),
                        string("2025-03-01T10:00:00Z"),
                        string("2025-03-01T11:00:00Z")))
            .toList());
  }
}
