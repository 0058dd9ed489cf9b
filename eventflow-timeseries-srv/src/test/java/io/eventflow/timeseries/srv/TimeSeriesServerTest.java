package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.timeseries.api.SeriesListing;
import io.eventflow.timeseries.api.SeriesQuery;
import io.eventflow.timeseries.api.SeriesSummary;
import io.eventflow.timeseries.api.SeriesValues;
import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.Fill;
import io.eventflow.timeseries.api.pb.GetIntervalValuesRequest;
import io.eventflow.timeseries.api.pb.Granularity;
import io.eventflow.timeseries.api.pb.ListTimeSeriesRequest;
import io.eventflow.timeseries.api.pb.TimeSeriesServiceGrpc;
import io.eventflow.timeseries.store.ReadLimits;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesNames;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real server over the embedded store, called through the real client. */
class TimeSeriesServerTest {
  private static final io.eventflow.timeseries.store.AggregateFunction SUM =
      io.eventflow.timeseries.store.AggregateFunction.SUM;
  private static final io.eventflow.timeseries.store.AggregateFunction MAX =
      io.eventflow.timeseries.store.AggregateFunction.MAX;
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  private ServerFixture fixture;

  @BeforeEach
  void startServer() throws Exception {
    fixture = ServerFixture.start();
  }

  @AfterEach
  void stopServer() throws Exception {
    fixture.close();
  }

  private static SeriesQuery march(String series) {
    return SeriesQuery.of(
        series, Instant.parse("2024-03-09T05:00:00Z"), Instant.parse("2024-03-12T04:00:00Z"));
  }

  private static long epoch(String instant) {
    return Instant.parse(instant).getEpochSecond();
  }

  private static long[] starts(SeriesValues values) {
    long[] starts = new long[values.size()];
    for (int i = 0; i < starts.length; i++) {
      starts[i] = values.epochSecond(i);
    }
    return starts;
  }

  private static double[] values(SeriesValues values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.value(i);
    }
    return out;
  }

  @Test
  void dailySumsInNewYorkAcrossSpringForward() throws Exception {
    fixture.record("purchase.amount.sum", SUM, "2024-03-09T23:59:00Z", 10, 1);
    fixture.record("purchase.amount.sum", SUM, "2024-03-10T04:59:00Z", 5, 1);
    // 2024-03-10 is 23 hours long in New York: 05:00Z to 04:00Z the next day.
    fixture.record("purchase.amount.sum", SUM, "2024-03-11T03:59:00Z", 7, 2);
    fixture.record("purchase.amount.sum", SUM, "2024-03-11T04:00:00Z", 1, 1);

    SeriesValues days =
        fixture.client.get(
            march("purchase.amount.sum").zone(NEW_YORK).granularity(Granularity.GRANULARITY_DAY));

    assertThat(starts(days))
        .containsExactly(
            epoch("2024-03-09T05:00:00Z"),
            epoch("2024-03-10T05:00:00Z"),
            epoch("2024-03-11T04:00:00Z"));
    assertThat(values(days)).containsExactly(15, 7, 1);
    assertThat(days.function()).isEqualTo(AggregateFunction.AGGREGATE_FUNCTION_SUM);
    assertThat(days.readTimestamp()).isEqualTo(ServerFixture.NOW);
  }

  @Test
  void avgOfSumSeriesIsTheMeanPerEvent() throws Exception {
    fixture.record("purchase.amount.sum", SUM, "2024-03-10T12:00:00Z", 30, 2);
    fixture.record("purchase.amount.sum", SUM, "2024-03-10T12:01:00Z", 10, 3);

    SeriesValues avg =
        fixture.client.get(
            march("purchase.amount.sum")
                .zone(NEW_YORK)
                .aggregate(AggregateFunction.AGGREGATE_FUNCTION_AVG));

    assertThat(values(avg)).containsExactly(8);
    assertThat(avg.function()).isEqualTo(AggregateFunction.AGGREGATE_FUNCTION_AVG);
  }

  @Test
  void fillZeroReturnsEveryBucketAndNaNWhereZeroWouldLie() throws Exception {
    fixture.record("latency.max", MAX, "2024-03-10T12:00:00Z", 250, 4);

    SeriesValues max = fixture.client.get(march("latency.max").zone(NEW_YORK).fill(Fill.FILL_ZERO));
    SeriesValues sum =
        fixture.client.get(
            march("latency.max")
                .zone(NEW_YORK)
                .aggregate(AggregateFunction.AGGREGATE_FUNCTION_SUM)
                .fill(Fill.FILL_ZERO));

    assertThat(values(max)).containsExactly(Double.NaN, 250, Double.NaN);
    assertThat(values(sum)).containsExactly(0, 250, 0);
  }

  @Test
  void calendarBucketsReadQuarterHourRowsAndOddStepsReadMinutes() throws Exception {
    for (int minute = 0; minute < 30; minute++) {
      fixture.record("clicks.count", SUM, String.format("2024-03-10T12:%02d:00Z", minute), 1, 1);
    }
    Metrics metrics = fixture.server.metrics();

    SeriesValues hours =
        fixture.client.get(
            march("clicks.count")
                .zone(ZoneId.of("Asia/Kathmandu"))
                .granularity(Granularity.GRANULARITY_HOUR));
    String afterHours = metrics.scrape();
    SeriesValues sevens = fixture.client.get(march("clicks.count").step(Duration.ofMinutes(7)));

    // Kathmandu hours start at :15 UTC: 12:00-12:15 and 12:15-12:30 (local 17:45 and 18:00).
    assertThat(values(hours)).containsExactly(15, 15);
    assertThat(afterHours)
        // The fixture writes one quarter-hour partial per pane, like one per minute here.
        .contains("eventflow_timeseries_rows_read_total{resolution=\"quarter_hour\"} 30.0\n")
        .contains("eventflow_timeseries_rows_read_total{resolution=\"minute\"} 0.0\n");
    assertThat(Arrays.stream(values(sevens)).sum()).isEqualTo(30);
    assertThat(metrics.scrape())
        .contains("eventflow_timeseries_rows_read_total{resolution=\"minute\"} 30.0\n");
  }

  @Test
  void unknownSeriesIsEmpty() {
    SeriesValues values = fixture.client.get(march("no.such.series").fill(Fill.FILL_ZERO));
    assertThat(values.size()).isZero();
    assertThat(values.function()).isEqualTo(AggregateFunction.AGGREGATE_FUNCTION_UNSPECIFIED);
  }

  private void assertInvalid(GetIntervalValuesRequest request, String description) {
    assertStatus(
        () -> TimeSeriesServiceGrpc.newBlockingStub(fixture.channel).getIntervalValues(request),
        Status.Code.INVALID_ARGUMENT,
        description);
  }

  /**
   * Asserts the call fails UNAVAILABLE naming the store and an error id and nothing else (no JDBC
   * URL, no exception), and that the log has the detail (the URL and the driver's error) under that
   * id.
   */
  static void assertUnavailableWithTheDetailLogged(
      ThrowingCallable call, String store, String url) {
    try (LogCapture log = LogCapture.of(StoreCalls.class)) {
      assertThatThrownBy(call)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                String description = e.getStatus().getDescription();
                assertThat(description)
                    .matches(
                        "the "
                            + store
                            + " is unavailable \\(error id [0-9a-f]{8}\\); retry with backoff")
                    .doesNotContain("jdbc:")
                    .doesNotContain("Exception");
                String id = description.replaceAll(".*error id ([0-9a-f]{8}).*", "$1");
                assertThat(log.lines())
                    .anySatisfy(
                        line ->
                            assertThat(line)
                                .startsWith(store + " failed (error id " + id + ")")
                                .contains(url));
              });
    }
  }

  /** Asserts the call fails with exactly this status code and description. */
  static void assertStatus(ThrowingCallable call, Status.Code code, String description) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).isEqualTo(description);
            });
  }

  @Test
  void unknownTimeZoneIsInvalidArgument() {
    assertInvalid(
        march("s").toRequest().toBuilder().setTimeZone("Mars/Olympus_Mons").build(),
        "unknown time zone \"Mars/Olympus_Mons\": expected an IANA zone such as"
            + " America/New_York");
  }

  @Test
  void startNotBeforeEndIsInvalidArgument() {
    Instant t = Instant.parse("2024-03-10T00:00:00Z");
    assertInvalid(
        SeriesQuery.of("s", t, t).toRequest(), "start must be before end (end is exclusive)");
  }

  @Test
  void missingNameIsInvalidArgument() {
    assertInvalid(march("").toRequest(), "name is required");
  }

  @Test
  void missingBucketingIsInvalidArgument() {
    assertInvalid(
        march("s").toRequest().toBuilder().clearBucketing().build(),
        "set either granularity or step");
  }

  @Test
  void stepThatIsNotWholeMinutesIsInvalidArgument() {
    assertInvalid(
        march("s").step(Duration.ofSeconds(90)).toRequest(),
        "step must be a whole number of minutes from 1 minute to 1 day, got 90s");
  }

  @Test
  void tooManyBucketsIsInvalidArgument() throws Exception {
    fixture.close();
    fixture = ServerFixture.start(c -> c.withMaxBuckets(100));
    fixture.record("s", SUM, "2024-03-10T12:00:00Z", 1, 1);
    assertInvalid(
        march("s").granularity(Granularity.GRANULARITY_MINUTE).toRequest(),
        "the request would return more than 100 buckets: shorten the range or use a longer"
            + " granularity or step");
  }

  @Test
  void storeUnavailableIsUnavailableWithAnErrorIdAndTheDetailOnlyInTheLog() throws Exception {
    fixture.breakStore();
    assertUnavailableWithTheDetailLogged(
        () -> fixture.client.get(march("s")), "interval store", fixture.storeUrl);
    assertThatThrownBy(() -> fixture.client.listSeries("", 10, ""))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void queryOverTheRowCapIsResourceExhaustedWithTheCapAndTheWayOut() throws Exception {
    fixture.close();
    fixture = ServerFixture.start(c -> c.withLimits(c.limits().withMaxRows(20)));
    for (int minute = 0; minute < 21; minute++) {
      fixture.record("s", SUM, String.format("2024-03-10T12:%02d:00Z", minute), 1, 1);
    }
    Instant noon = Instant.parse("2024-03-10T12:00:00Z");

    // 12:00-12:15: 15 rows (the fixture writes one row per pane at both resolutions).
    assertThat(values(fixture.client.get(SeriesQuery.of("s", noon, noon.plusSeconds(900)))))
        .containsExactly(15);
    // The day: 21 rows, one past the cap.
    assertStatus(
        () -> fixture.client.get(march("s")),
        Status.Code.RESOURCE_EXHAUSTED,
        "the query would read more than 20 rows from the store (the server's EVENTFLOW_MAX_ROWS):"
            + " ask for a shorter range, or a granularity of an hour or more with the series' own"
            + " aggregate function, which reads quarter-hour rows (15 times fewer)");
    assertThat(fixture.server.metrics().scrape())
        .contains("eventflow_timeseries_queries_rejected_total{reason=\"too_many_rows\"} 1.0\n");
  }

  @Test
  void seriesNameOverTheMaximumLengthIsInvalidArgument() {
    String name = "a".repeat(SeriesNames.MAX_LENGTH + 1);
    assertInvalid(
        march(name).toRequest(), "name is 1025 characters; series names have at most 1024");
    assertStatus(
        () -> fixture.client.listSeries(name, 10, ""),
        Status.Code.INVALID_ARGUMENT,
        "name_prefix is 1025 characters; series names have at most 1024");
  }

  @Test
  void theCallersDeadlineBecomesTheStoreReadsTimeout() throws Exception {
    fixture.close();
    List<ReadLimits> seen = new CopyOnWriteArrayList<>();
    fixture = ServerFixture.start(c -> c, store -> new BlockingStore(store, seen, null, null));
    fixture.record("s", SUM, "2024-03-10T12:00:00Z", 1, 1);

    TimeSeriesServiceGrpc.newBlockingStub(fixture.channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .getIntervalValues(march("s").noCache().toRequest());
    fixture.client.get(march("s").noCache());

    // With the caller's 5 s deadline, and without one: the server's 30 s query timeout.
    assertThat(seen).hasSize(2);
    assertThat(seen.get(0).timeout()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(5));
    assertThat(seen.get(1).timeout())
        .isGreaterThan(Duration.ofSeconds(5))
        .isLessThanOrEqualTo(ServerConfig.DEFAULT_QUERY_TIMEOUT);
    assertThat(seen).allSatisfy(l -> assertThat(l.maxRows()).isEqualTo(1_000_000));
  }

  @Test
  void theCallersDeadlineAlsoBoundsTheCatalogReads() throws Exception {
    fixture.close();
    AtomicReference<BlockingStore> wrapped = new AtomicReference<>();
    fixture =
        ServerFixture.start(
            c -> c,
            store -> {
              wrapped.set(new BlockingStore(store, null, null, null));
              return wrapped.get();
            });
    fixture.record("s", SUM, "2024-03-10T12:00:00Z", 1, 1);
    TimeSeriesServiceGrpc.TimeSeriesServiceBlockingStub withDeadline =
        TimeSeriesServiceGrpc.newBlockingStub(fixture.channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS);

    // The series' own function (looked up once, then remembered), then two listings.
    withDeadline.getIntervalValues(march("s").noCache().toRequest());
    withDeadline.listTimeSeries(ListTimeSeriesRequest.getDefaultInstance());
    fixture.client.listSeries("", 10, "");

    // With the caller's 5 s deadline, and without one: the server's 30 s query timeout.
    List<Duration> timeouts = wrapped.get().catalogTimeouts();
    assertThat(timeouts).hasSize(3);
    assertThat(timeouts.subList(0, 2))
        .allSatisfy(t -> assertThat(t).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(5)));
    assertThat(timeouts.get(2))
        .isGreaterThan(Duration.ofSeconds(5))
        .isLessThanOrEqualTo(ServerConfig.DEFAULT_QUERY_TIMEOUT);
  }

  @Test
  void aFullQueryPoolIsResourceExhausted() throws Exception {
    fixture.close();
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    fixture =
        ServerFixture.start(
            c -> c.withLimits(c.limits().withPool(1, 1)),
            store -> new BlockingStore(store, null, reading, release));
    fixture.record("s", SUM, "2024-03-10T12:00:00Z", 1, 1);
    TimeSeriesServiceGrpc.TimeSeriesServiceFutureStub async =
        TimeSeriesServiceGrpc.newFutureStub(fixture.channel);
    try {
      // One query holds the only thread, a second waits in the only queue slot.
      var running = async.getIntervalValues(march("s").noCache().toRequest());
      assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
      var queued = async.getIntervalValues(march("s").noCache().toRequest());

      assertStatus(
          () -> fixture.client.get(march("s").noCache()),
          Status.Code.RESOURCE_EXHAUSTED,
          "the query service is busy (1 queries running and 1 waiting); retry with backoff");

      release.countDown();
      assertThat(running.get(10, TimeUnit.SECONDS).getValuesList()).containsExactly(1.0);
      assertThat(queued.get(10, TimeUnit.SECONDS).getValuesList()).containsExactly(1.0);
    } finally {
      release.countDown();
    }
  }

  @Test
  void listingPagesThroughTheCatalogInNameOrder() throws Exception {
    for (String name : new String[] {"b.sum", "a.sum", "a.max", "a.min", "c.sum"}) {
      fixture.record(name, SUM, "2024-03-10T12:00:00Z", 1, 1);
    }

    SeriesListing first = fixture.client.listSeries("a.", 2, "");
    SeriesListing second = fixture.client.listSeries("a.", 2, first.nextPageToken());

    assertThat(first.series()).extracting(SeriesSummary::name).containsExactly("a.max", "a.min");
    assertThat(second.series()).extracting(SeriesSummary::name).containsExactly("a.sum");
    assertThat(second.nextPageToken()).isEmpty();
    assertThat(fixture.client.listAllSeries(""))
        .extracting(SeriesSummary::name)
        .containsExactly("a.max", "a.min", "a.sum", "b.sum", "c.sum");
    SeriesSummary a = first.series().get(0);
    assertThat(a.function()).isEqualTo(AggregateFunction.AGGREGATE_FUNCTION_SUM);
    assertThat(a.firstSeen()).isEqualTo(Instant.parse("2024-03-10T12:00:00Z"));
  }

  @Test
  void pageSizeOutOfRangeIsInvalidArgument() {
    assertStatus(
        () -> fixture.client.listSeries("", 1001, ""),
        Status.Code.INVALID_ARGUMENT,
        "page_size must be between 1 and 1000 (0 for 100), got 1001");
    assertStatus(
        () -> fixture.client.listSeries("", -1, ""),
        Status.Code.INVALID_ARGUMENT,
        "page_size must be between 1 and 1000 (0 for 100), got -1");
  }

  @Test
  void foreignPageTokenIsInvalidArgument() {
    assertStatus(
        () -> fixture.client.listSeries("", 10, "not-a-token"),
        Status.Code.INVALID_ARGUMENT,
        "page_token is not one this service issued: pass the next_page_token of the previous"
            + " page, or empty for the first");
  }

  @Test
  void oldRangesAreCachedAndNoCacheBypassesTheCache() throws Exception {
    fixture.record("s", SUM, "2024-03-10T12:00:00Z", 1, 1);
    assertThat(values(fixture.client.get(march("s")))).containsExactly(1);

    // A late row the cache cannot know about: the cached answer stands, no_cache sees it.
    fixture.record("s", SUM, "2024-03-10T12:01:00Z", 2, 1);

    assertThat(values(fixture.client.get(march("s")))).containsExactly(1);
    assertThat(values(fixture.client.get(march("s").noCache()))).containsExactly(3);
    assertThat(fixture.server.metrics().scrape())
        .contains("eventflow_timeseries_cache_lookups_total{level=\"l1\",result=\"hit\"} 1.0\n")
        .contains("eventflow_timeseries_cache_lookups_total{level=\"l1\",result=\"miss\"} 1.0\n");
  }

  @Test
  void rangesEndingWithinTheMinimumAgeAreNotCached() throws Exception {
    // The range ends 30 minutes before now, inside the default minimum age of an hour.
    Instant end = ServerFixture.NOW.minus(Duration.ofMinutes(30));
    SeriesQuery recent = SeriesQuery.of("s", end.minus(Duration.ofHours(1)), end);
    fixture.record("s", SUM, end.minus(Duration.ofMinutes(10)).toString(), 1, 1);
    assertThat(values(fixture.client.get(recent))).containsExactly(1);

    fixture.record("s", SUM, end.minus(Duration.ofMinutes(9)).toString(), 2, 1);

    assertThat(values(fixture.client.get(recent))).containsExactly(3);
    // Once the range is old enough, the answer is cached.
    fixture.clock.advance(Duration.ofMinutes(31));
    fixture.client.get(recent);
    fixture.record("s", SUM, end.minus(Duration.ofMinutes(8)).toString(), 4, 1);
    assertThat(values(fixture.client.get(recent))).containsExactly(3);
  }

  @Test
  void unknownSeriesAnswersAreNotCached() throws Exception {
    assertThat(fixture.client.get(march("late.series")).size()).isZero();
    fixture.record("late.series", SUM, "2024-03-10T12:00:00Z", 4, 1);
    assertThat(values(fixture.client.get(march("late.series")))).containsExactly(4);
  }

  @Test
  void healthServiceReportsServing() {
    HealthCheckResponse health =
        HealthGrpc.newBlockingStub(fixture.channel)
            .check(
                HealthCheckRequest.newBuilder()
                    .setService(TimeSeriesServiceGrpc.SERVICE_NAME)
                    .build());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void metricsEndpointServesPrometheusText() throws Exception {
    fixture.close();
    fixture = ServerFixture.start(c -> ServerConfig.defaults(c.store(), 0, 0));
    fixture.record("s", SUM, "2024-03-10T12:00:00Z", 1, 1);
    fixture.client.get(march("s"));
    assertThatThrownBy(() -> fixture.client.get(march("")))
        .isInstanceOf(StatusRuntimeException.class);

    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + fixture.server.metricsPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    String method =
        "method=\"GetIntervalValues\",methodType=\"UNARY\","
            + "service=\"eventflow.timeseries.TimeSeriesService\",statusCode=";
    assertThat(response.body())
        .contains("grpc_server_processing_duration_seconds_count{" + method + "\"OK\"} 1\n")
        .contains(
            "grpc_server_processing_duration_seconds_count{" + method + "\"INVALID_ARGUMENT\"} 1\n")
        .contains("# TYPE grpc_server_processing_duration_seconds histogram\n")
        .contains("eventflow_timeseries_rows_read_total{resolution=\"minute\"} 0.0\n")
        .contains("eventflow_timeseries_rows_read_total{resolution=\"quarter_hour\"} 1.0\n");
  }

  @Test
  void metricsEndpointBindsTheConfiguredAddress() throws Exception {
    fixture.close();
    fixture =
        ServerFixture.start(
            c ->
                ServerConfig.defaults(c.store(), 0, 0)
                    .withMetricsAddress(InetAddress.getLoopbackAddress()));
    assertThat(fixture.server.metricsAddress().getAddress().isLoopbackAddress()).isTrue();
  }

  @Test
  void resolutionMetricNamesMatchTheStore() {
    // The metric labels are the store's resolutions in lower case; a new one must be added here.
    assertThat(Resolution.values()).containsExactly(Resolution.MINUTE, Resolution.QUARTER_HOUR);
  }
}
