package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.testing.FreePort;
import io.eventflow.timeseries.srv.ServerFixture;
import io.eventflow.timeseries.store.AggregateFunction;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code eventflow series list|get} against the real query server over the embedded store. */
class SeriesCommandTest {
  private static final AggregateFunction SUM = AggregateFunction.SUM;
  private static final AggregateFunction MAX = AggregateFunction.MAX;

  /** The server's "now": the rows the tests write are older, so every query is cacheable. */
  private static final Instant SERVER_NOW = Instant.parse("2026-12-01T00:00:00Z");

  private ServerFixture server;

  /**
   * Purchases on 2026-11-20 at 10:00Z (10, one event) and 10:07Z (5, one event) and on 2026-11-21
   * at 03:00Z (7, two events) — 22:00 on the 20th in New York; a latency maximum; a click count.
   */
  @BeforeEach
  void startServer() throws Exception {
    server = ServerFixture.startOnLoopback(SERVER_NOW);
    server.record("purchase.amount.sum", SUM, "2026-11-20T10:00:00Z", 10, 1);
    server.record("purchase.amount.sum", SUM, "2026-11-20T10:07:00Z", 5, 1);
    server.record("purchase.amount.sum", SUM, "2026-11-21T03:00:00Z", 7, 2);
    server.record("latency.max", MAX, "2026-11-20T10:00:00Z", 250, 4);
    server.record("purchase.count.sum", SUM, "2026-11-20T10:00:00Z", 1, 1);
  }

  @AfterEach
  void stopServer() throws Exception {
    server.close();
  }

  /** Runs {@code eventflow series SUBCOMMAND --server <fixture> args...}. */
  private CliRunner.Result series(String subcommand, String... args) {
    List<String> all = new ArrayList<>(List.of("series", subcommand, "--server", server.target()));
    all.addAll(List.of(args));
    return new CliRunner().run(all.toArray(String[]::new));
  }

  /** Runs {@code series get purchase.amount.sum} over 2026-11-20 and 2026-11-21 UTC, plus args. */
  private CliRunner.Result getPurchases(String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "purchase.amount.sum",
                "--start",
                "2026-11-20T00:00:00Z",
                "--end",
                "2026-11-22T00:00:00Z"));
    all.addAll(List.of(args));
    return series("get", all.toArray(String[]::new));
  }

  @Test
  void listPrintsEverySeriesWithItsFunctionInNameOrder() {
    CliRunner.Result result = series("list");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out())
        .isEqualTo(
            """
            latency.max          max
            purchase.amount.sum  sum
            purchase.count.sum   sum
            """);
    assertThat(result.err()).isEmpty();
  }

  @Test
  void listWithPrefixPrintsOnlyTheSeriesUnderIt() {
    CliRunner.Result result = series("list", "--prefix", "purchase.");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("purchase.amount.sum  sum\npurchase.count.sum   sum\n");
  }

  @Test
  void listWithAPrefixNothingMatchesSaysSoOnStderr() {
    CliRunner.Result result = series("list", "--prefix", "signup.");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEmpty();
    assertThat(result.err()).isEqualTo("no series named signup.…\n");
  }

  @Test
  void jsonPrintsNameAndPointsWithUtcStarts() {
    CliRunner.Result result = getPurchases("--format", "json");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out())
        .isEqualTo(
            "{\"name\":\"purchase.amount.sum\",\"points\":["
                + "{\"start\":\"2026-11-20T00:00:00Z\",\"value\":15},"
                + "{\"start\":\"2026-11-21T00:00:00Z\",\"value\":7}]}\n");
    assertThat(result.err()).isEmpty();
  }

  @Test
  void tableIsTheDefaultAndShowsBucketStartsInTheZone() {
    CliRunner.Result result =
        series(
            "get",
            "purchase.amount.sum",
            "--start",
            "2026-11-20",
            "--end",
            "2026-11-22",
            "--tz",
            "America/New_York");

    assertThat(result.exitCode()).isZero();
    // 03:00Z on the 21st is 22:00 on the 20th in New York: one local day holds all three.
    assertThat(result.out())
        .isEqualTo(
            """
            start                      value
            2026-11-20T00:00:00-05:00     22
            """);
  }

  @Test
  void localStartAndEndAreReadInTheZone() {
    // 06:00 in New York is 11:00Z: the purchases at 10:00Z and 10:07Z are before the range.
    CliRunner.Result result =
        series(
            "get",
            "purchase.amount.sum",
            "--start",
            "2026-11-20T06:00",
            "--end",
            "2026-11-21",
            "--tz",
            "America/New_York",
            "--format",
            "json");

    assertThat(result.out())
        .isEqualTo(
            "{\"name\":\"purchase.amount.sum\",\"points\":["
                + "{\"start\":\"2026-11-20T05:00:00Z\",\"value\":7}]}\n");
  }

  @Test
  void instantsWithAnOffsetNeedNoZone() {
    CliRunner.Result result =
        series(
            "get",
            "purchase.amount.sum",
            "--start",
            "2026-11-20T11:05:00+01:00",
            "--end",
            "2026-11-20T11:10:00+01:00",
            "--granularity",
            "minute",
            "--format",
            "csv");

    assertThat(result.out()).isEqualTo("start,value\n2026-11-20T10:07:00Z,5\n");
  }

  @Test
  void csvWithAStepAndFillZeroPrintsEveryBucket() {
    CliRunner.Result result =
        series(
            "get",
            "purchase.amount.sum",
            "--start",
            "2026-11-20T10:00:00Z",
            "--end",
            "2026-11-20T10:30:00Z",
            "--step",
            "5m",
            "--fill",
            "zero",
            "--format",
            "csv");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out())
        .isEqualTo(
            """
            start,value
            2026-11-20T10:00:00Z,10
            2026-11-20T10:05:00Z,5
            2026-11-20T10:10:00Z,0
            2026-11-20T10:15:00Z,0
            2026-11-20T10:20:00Z,0
            2026-11-20T10:25:00Z,0
            """);
  }

  @Test
  void chartDrawsTheSeriesWithItsScaleAndTimeRange() {
    CliRunner.Result result = getPurchases("--granularity", "hour", "--format", "chart");

    assertThat(result.exitCode()).isZero();
    List<String> lines = result.out().lines().toList();
    // Name, 12 rows of bars, the axis, the time range.
    assertThat(lines).hasSize(15);
    assertThat(lines.get(0)).isEqualTo("purchase.amount.sum");
    assertThat(lines.get(1)).startsWith("15 ┤█");
    assertThat(lines.get(12)).startsWith(" 0 ┤██");
    assertThat(lines.get(13)).isEqualTo("   └──");
    assertThat(lines.get(14)).isEqualTo("    2026-11-20T10:00:00Z … 2026-11-21T03:00:00Z");
  }

  @Test
  void aggregateAndGranularityNamesAreCaseInsensitive() {
    // AVG of a sum series is the mean per event: (10 + 5 + 7) / 4 events.
    CliRunner.Result result =
        getPurchases("--agg", "AVG", "--granularity", "IsoWeek", "--format", "json");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out())
        .isEqualTo(
            "{\"name\":\"purchase.amount.sum\",\"points\":["
                + "{\"start\":\"2026-11-16T00:00:00Z\",\"value\":5.5}]}\n");
  }

  @Test
  void fillZeroShowsEmptyMaximaAsNull() {
    CliRunner.Result result =
        series(
            "get",
            "latency.max",
            "--start",
            "2026-11-20T00:00:00Z",
            "--end",
            "2026-11-22T00:00:00Z",
            "--fill",
            "zero",
            "--format",
            "json");

    assertThat(result.out())
        .isEqualTo(
            "{\"name\":\"latency.max\",\"points\":["
                + "{\"start\":\"2026-11-20T00:00:00Z\",\"value\":250},"
                + "{\"start\":\"2026-11-21T00:00:00Z\",\"value\":null}]}\n");
  }

  @Test
  void anUnknownSeriesPrintsNoPointsAndSaysWhyOnStderr() {
    CliRunner.Result result =
        series(
            "get",
            "nope",
            "--start",
            "2026-11-20T00:00:00Z",
            "--end",
            "2026-11-21T00:00:00Z",
            "--format",
            "json");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("{\"name\":\"nope\",\"points\":[]}\n");
    assertThat(result.err())
        .isEqualTo("no data for nope in [2026-11-20T00:00:00Z, 2026-11-21T00:00:00Z)\n");
  }

  @Test
  void granularityAndStepTogetherAreABadFlag() {
    CliRunner.Result result = getPurchases("--granularity", "hour", "--step", "15m");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err().lines().findFirst().orElseThrow())
        .contains("--granularity")
        .contains("--step")
        .contains("mutually exclusive");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void anInvalidQueryIsTheServersOneLineDescription() {
    CliRunner.Result result = getPurchases("--step", "90s");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(result.err()).startsWith("eventflow series get: INVALID_ARGUMENT: ");
    assertThat(result.err().lines()).hasSize(1);
    assertThat(result.out()).isEmpty();
  }

  @Test
  void anEndBeforeTheStartIsRejectedByTheServer() {
    CliRunner.Result result =
        series(
            "get",
            "purchase.amount.sum",
            "--start",
            "2026-11-21T00:00:00Z",
            "--end",
            "2026-11-20T00:00:00Z");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(result.err())
        .isEqualTo(
            "eventflow series get: INVALID_ARGUMENT: start must be before end (end is exclusive)\n");
  }

  @Test
  void anUnreachableServerIsOneLineNamingIt() throws Exception {
    // A port that was free a moment ago and that nothing listens on now.
    String target = InetAddress.getLoopbackAddress().getHostAddress() + ":" + FreePort.loopback();

    CliRunner.Result list = new CliRunner().run("series", "list", "--server", target);
    CliRunner.Result get =
        new CliRunner()
            .run(
                "series",
                "get",
                "x",
                "--start",
                "2026-11-20",
                "--end",
                "2026-11-21",
                "--server",
                target);

    assertThat(list.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(list.err())
        .isEqualTo(
            "eventflow series list: UNAVAILABLE: cannot reach the query service at "
                + target
                + "\n");
    assertThat(get.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(get.err())
        .isEqualTo(
            "eventflow series get: UNAVAILABLE: cannot reach the query service at "
                + target
                + "\n");
  }

  @Test
  void badFlagsAreUsageErrorsWithPicocliMessages() {
    assertUsageError(getPurchases("--granularity", "fortnight"), "unknown granularity 'fortnight'");
    assertUsageError(getPurchases("--agg", "median"), "unknown aggregate function 'median'");
    assertUsageError(getPurchases("--fill", "previous"), "unknown fill 'previous'");
    assertUsageError(getPurchases("--format", "xml"), "unknown format \"xml\"");
    assertUsageError(getPurchases("--tz", "Mars/Olympus"), "unknown time zone 'Mars/Olympus'");
    assertUsageError(getPurchases("--step", "soon"), "expected a duration like");
    assertUsageError(
        series("get", "purchase.amount.sum", "--start", "yesterday", "--end", "2026-11-21"),
        "expected an RFC 3339 time");
    assertUsageError(
        series("get", "purchase.amount.sum", "--end", "2026-11-21"),
        "Missing required option: '--start=TIME'");
    assertUsageError(
        new CliRunner().run("series", "list", "--server", "localhost"),
        "expected HOST:PORT, got 'localhost'");
    assertUsageError(new CliRunner().run("series"), "Missing subcommand: list or get");
  }

  private static void assertUsageError(CliRunner.Result result, String message) {
    assertThat(result.exitCode()).as(result.err()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err()).contains(message).contains("Usage: eventflow series");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void theRootHelpListsSeries() {
    assertThat(new CliRunner().run("--help").out()).contains("series");
  }
}
