package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.common.AttributeValues;
import io.eventflow.events.query.ArchiveFixture;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eventflow events query} from flags to printed rows, against a data directory whose
 * warehouse the ingest job's archive writer filled.
 */
class EventsQueryCommandTest {
  @TempDir static Path dataDir;

  private static final String[] RANGE = {
    "--type", "purchase", "--start", "2026-11-07T00:00:00Z", "--end", "2026-11-07T06:00:00Z"
  };

  @BeforeAll
  static void archive() {
    ArchiveFixture.write(
        dataDir.resolve("warehouse"),
        List.of(
            purchase("p1", "2026-11-07T05:10:00Z", "acme", 12),
            purchase("p2", "2026-11-07T05:40:00Z", "globex", 30),
            purchase("p3", "2026-11-07T03:05:00Z", "acme", 8)),
        1);
  }

  static io.eventflow.common.pb.Event purchase(String id, String at, String customer, long amount) {
    return ArchiveFixture.event(
        id, "purchase", Instant.parse(at), customer, Map.of("amount", AttributeValues.of(amount)));
  }

  static CliRunner.Result query(String... flags) {
    String[] args = new String[4 + RANGE.length + flags.length];
    args[0] = "events";
    args[1] = "query";
    args[2] = "--data-dir";
    args[3] = dataDir.toString();
    System.arraycopy(RANGE, 0, args, 4, RANGE.length);
    System.arraycopy(flags, 0, args, 4 + RANGE.length, flags.length);
    return new CliRunner().run(args);
  }

  @Test
  void samplesAsJsonWithTimesAsStringsAndValuesAsNumbers() {
    CliRunner.Result result =
        query(
            "--sample-by", "1h", "--agg", "count(), sum(amount), max(amount)", "--format", "json");

    assertThat(result.err()).isEmpty();
    assertThat(result.exitCode()).isZero();
    assertThat(result.out())
        .isEqualTo(
            "{\"rows\":["
                + "{\"start\":\"2026-11-07T03:00:00Z\",\"count\":1,\"sum_amount\":8,\"max_amount\":8},"
                + "{\"start\":\"2026-11-07T05:00:00Z\",\"count\":2,\"sum_amount\":42,\"max_amount\":30}"
                + "]}\n");
  }

  @Test
  void samplesAsCsvAndAsATableInTheZone() {
    assertThat(query("--sample-by", "1h", "--fill", "zero", "--format", "csv").out())
        .isEqualTo(
            "start,count\n"
                + "2026-11-07T00:00:00Z,0\n"
                + "2026-11-07T01:00:00Z,0\n"
                + "2026-11-07T02:00:00Z,0\n"
                + "2026-11-07T03:00:00Z,1\n"
                + "2026-11-07T04:00:00Z,0\n"
                + "2026-11-07T05:00:00Z,2\n");
    assertThat(query("--sample-by", "1h", "--tz", "Asia/Kathmandu").out())
        .isEqualTo(
            "start                      count\n"
                + "2026-11-07T08:00:00+05:45      1\n"
                + "2026-11-07T10:00:00+05:45      1\n"
                + "2026-11-07T11:00:00+05:45      1\n");
  }

  @Test
  void listsEventsFilteredByWhere() {
    CliRunner.Result result =
        query("--where", "customer = \"acme\" and amount > 10", "--format", "json");

    assertThat(result.out())
        .isEqualTo(
            "{\"rows\":[{\"timestamp\":\"2026-11-07T05:10:00Z\",\"id\":\"p1\",\"type\":\"purchase\","
                + "\"source\":\"test\",\"customer\":\"acme\",\"attributes\":{\"amount\":12}}]}\n");
  }

  @Test
  void dryRunPrintsBigQuerySqlWithEveryValueAsAParameter() {
    CliRunner.Result result =
        query(
            "--bigquery",
            "my-project.eventflow.events",
            "--where",
            "customer = \"acme\"",
            "--sample-by",
            "1h",
            "--agg",
            "sum(amount)",
            "--dry-run");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out())
        .isEqualTo(
            "SELECT CAST(@p5 AS ARRAY<INT64>)[OFFSET(RANGE_BUCKET(e.us, CAST(@p5 AS"
                + " ARRAY<INT64>)) - 1)] AS bucket, sum(e.v0) AS c0\n"
                + "FROM (SELECT UNIX_MICROS(`timestamp`) AS us, (SELECT COALESCE(CAST(a.int_value AS"
                + " FLOAT64), a.float_value) FROM UNNEST(`attributes`) AS a WHERE a.key = @p0 LIMIT 1)"
                + " AS v0\n"
                + "FROM `my-project.eventflow.events`\n"
                + "WHERE `type` = @p1 AND `timestamp` >= @p2 AND `timestamp` < @p3\n"
                + "  AND (`customer` = @p4)) AS e\n"
                + "GROUP BY bucket\n"
                + "ORDER BY bucket\n"
                + "-- @p0 STRING \"amount\"\n"
                + "-- @p1 STRING \"purchase\"\n"
                + "-- @p2 TIMESTAMP 2026-11-07T00:00:00Z\n"
                + "-- @p3 TIMESTAMP 2026-11-07T06:00:00Z\n"
                + "-- @p4 STRING \"acme\"\n"
                + "-- @p5 ARRAY_INT64 [1794009600000000, 1794013200000000, 1794016800000000,"
                + " 1794020400000000, 1794024000000000, 1794027600000000, 1794031200000000]\n");
  }

  @Test
  void badInputIsOneLineAndBadUsage() {
    assertOneLine(
        query("--where", "customer = \"acme\" OR 1=1"),
        "eventflow events query: bad --where at column 22: expected a field name, found '1=1'");
    assertOneLine(
        query("--where", "customer = \"acme\"; DROP TABLE events"),
        "eventflow events query: bad --where at column 18: expected and, or or the end, found ';'");
    assertOneLine(
        query("--sample-by", "1h", "--agg", "sum(amunt)"),
        "eventflow events query: unknown field \"amunt\": no purchase event in"
            + " [2026-11-07T00:00:00Z, 2026-11-07T06:00:00Z) has it; their fields are id, type,"
            + " source, customer, amount");
    assertOneLine(
        new CliRunner()
            .run(
                "events",
                "query",
                "--data-dir",
                dataDir.toString(),
                "--type",
                "purchase",
                "--start",
                "2026-11-07T06:00:00Z",
                "--end",
                "2026-11-07T00:00:00Z"),
        "eventflow events query: bad range: --start 2026-11-07T06:00:00Z must be before --end"
            + " 2026-11-07T00:00:00Z");
    assertOneLine(
        query("--sample-by", "90s"),
        "eventflow events query: bad --sample-by '90s': expected whole minutes or hours up to 24h"
            + " (5m, 15m, 1h, 6h) or 1d (a calendar day)");
    assertOneLine(
        query("--sample-by", "1h", "--fill", "linear"),
        "eventflow events query: bad --fill 'linear': expected none, null, prev or zero");
    assertOneLine(
        query("--agg", "sum(amount)"),
        "eventflow events query: --agg and --fill need --sample-by; without it the events are"
            + " listed");
    assertOneLine(
        query("--sample-by", "1h", "--limit", "5"),
        "eventflow events query: --limit applies to listings; a sample has one row per bucket of"
            + " --sample-by");
    assertOneLine(
        query("--format", "xml"),
        "eventflow events query: bad --format 'xml': expected table, json or csv");
    assertOneLine(
        query("--bigquery", "p.d.t`; DROP TABLE x; --", "--dry-run"),
        "eventflow events query: bad --bigquery 'p.d.t`; DROP TABLE x; --': expected"
            + " PROJECT.DATASET.TABLE, e.g. my-project.eventflow.events");
  }

  @Test
  void aMissingDataDirectoryIsOneLine() {
    CliRunner.Result result =
        new CliRunner()
            .run(
                "events",
                "query",
                "--data-dir",
                dataDir.resolve("nothing").toString(),
                "--type",
                "purchase",
                "--start",
                "2026-11-07",
                "--end",
                "2026-11-08");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(result.err()).startsWith("eventflow events query: no such file: ").hasLineCount(1);
  }

  private static void assertOneLine(CliRunner.Result result, String line) {
    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.out()).isEmpty();
    assertThat(result.err()).isEqualTo(line + "\n");
  }
}
