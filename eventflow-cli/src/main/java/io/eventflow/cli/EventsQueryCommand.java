package io.eventflow.cli;

import io.eventflow.events.query.Aggregate;
import io.eventflow.events.query.ArchiveEventStore;
import io.eventflow.events.query.BigQueryEventStore;
import io.eventflow.events.query.EventQueries;
import io.eventflow.events.query.EventQuery;
import io.eventflow.events.query.EventStore;
import io.eventflow.events.query.Fill;
import io.eventflow.events.query.QueryResult;
import io.eventflow.events.query.ResultFormat;
import io.eventflow.events.query.SampleBy;
import io.eventflow.events.query.WhereParser;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow events query}: lists the raw events of a type in {@code [start, end)}, or
 * samples them in calendar-aligned buckets, from the local stack's archive (DuckDB) or the BigQuery
 * events table; {@code --dry-run} prints the SQL and its parameters instead.
 */
@Command(
    name = "query",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Lists the events of --type in [--start, --end), or with --sample-by aggregates them per"
          + " bucket, aligned to the calendar of --tz as `eventflow series get` aligns them. Reads"
          + " the archive under --data-dir, or the BigQuery table named by --bigquery.",
    })
final class EventsQueryCommand implements Callable<Integer> {
  private final CliContext context;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      defaultValue = ".eventflow",
      description =
          "The local stack's data directory, whose warehouse is read. Default: ./.eventflow.")
  Path dataDir;

  @Option(
      names = "--bigquery",
      paramLabel = "PROJECT.DATASET.TABLE",
      description =
          "Query this BigQuery events table (billed to PROJECT, application default credentials)"
              + " instead of the archive; $BIGQUERY_EMULATOR_HOST (http://HOST:PORT) sends the"
              + " query there instead, without credentials.")
  String bigQueryTable;

  @Option(names = "--type", required = true, paramLabel = "TYPE", description = "The event type.")
  String type;

  @Option(
      names = "--start",
      required = true,
      paramLabel = "TIME",
      converter = TimeArgument.Converter.class,
      description =
          "First instant (inclusive): RFC 3339 such as 2026-11-07T00:00:00Z, or a local date-time"
              + " or date in --tz such as 2026-11-07T09:30 or 2026-11-07.")
  TimeArgument start;

  @Option(
      names = "--end",
      required = true,
      paramLabel = "TIME",
      converter = TimeArgument.Converter.class,
      description = "End of the range (exclusive), in the same forms as --start.")
  TimeArgument end;

  @Option(
      names = "--where",
      paramLabel = "CONDITION",
      description =
          "Filter: field op literal, combined with and, or, not and parentheses, e.g."
              + " 'customer = \"acme\" and amount >= 10'. Fields: id, type, source, customer, or"
              + " an attribute key (`in backquotes` if it has other characters).")
  String where;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "100",
      description = "Most events listed, earliest first. Default: 100.")
  int limit;

  @Option(
      names = "--sample-by",
      paramLabel = "INTERVAL",
      description =
          "Aggregate per bucket instead of listing: 5m, 15m, 1h, 6h (whole minutes or hours up"
              + " to 24h, aligned to local midnight in --tz) or 1d (calendar days).")
  String sampleBy;

  @Option(
      names = "--tz",
      paramLabel = "ZONE",
      defaultValue = "UTC",
      converter = SeriesGetCommand.ZoneConverter.class,
      description =
          "IANA time zone the buckets align to and local --start/--end and the table's times are"
              + " in. Default: UTC.")
  ZoneId zone;

  @Option(
      names = "--fill",
      paramLabel = "MODE",
      defaultValue = "none",
      description =
          "Empty buckets: none (left out), null, prev (the previous bucket's values) or zero."
              + " Default: none.")
  String fill;

  @Option(
      names = "--agg",
      paramLabel = "AGGREGATES",
      defaultValue = "count()",
      description =
          "With --sample-by: count(), sum(F), min(F), max(F), avg(F) of numeric attributes,"
              + " comma-separated. Default: count().")
  String aggregates;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "table",
      description =
          "table (times in --tz), json ({\"rows\": [{\"start\": …, \"count\": …}]}, UTC times) or"
              + " csv (UTC times). Default: table.")
  String format;

  @Option(
      names = "--dry-run",
      description = "Print the SQL and its parameters instead of running it.")
  boolean dryRun;

  @Spec CommandSpec spec;

  /** Creates the command; {@code $BIGQUERY_EMULATOR_HOST} comes from the context's environment. */
  EventsQueryCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    EventQuery query;
    ResultFormat output;
    try {
      query = query();
      output = ResultFormat.parse(format);
    } catch (InvalidQueryException e) {
      return usageError(e);
    }
    PrintWriter out = spec.commandLine().getOut();
    try (EventStore store =
        bigQueryTable != null
            ? BigQueryEventStore.of(bigQueryTable, context.environment())
            : ArchiveEventStore.ofDataDir(dataDir)) {
      if (dryRun) {
        out.print(EventQueries.sql(store, query).describe(store.dialect()));
      } else {
        QueryResult result = EventQueries.run(store, query);
        out.print(output.render(result, zone));
      }
    } catch (InvalidQueryException e) {
      return usageError(e);
    }
    out.flush();
    return 0;
  }

  /** Builds the query from the flags; every problem is one line naming the flag. */
  private EventQuery query() throws InvalidQueryException {
    Instant from = start.resolve(zone);
    Instant to = end.resolve(zone);
    var condition = where == null ? null : WhereParser.parse(where);
    ParseResult flags = spec.commandLine().getParseResult();
    if (sampleBy == null) {
      if (flags.hasMatchedOption("--agg") || flags.hasMatchedOption("--fill")) {
        throw new InvalidQueryException(
            "--agg and --fill need --sample-by; without it the events are listed");
      }
      return EventQuery.list(type, from, to, condition, limit);
    }
    if (flags.hasMatchedOption("--limit")) {
      throw new InvalidQueryException(
          "--limit applies to listings; a sample has one row per bucket of --sample-by");
    }
    return EventQuery.sample(
        type,
        from,
        to,
        condition,
        SampleBy.parse(sampleBy),
        zone,
        Fill.parse(fill),
        Aggregate.parseList(aggregates));
  }

  /** Prints one line (the command and what to change) and returns the bad-usage status. */
  private int usageError(InvalidQueryException e) {
    PrintWriter err = spec.commandLine().getErr();
    err.println(spec.qualifiedName() + ": " + e.getMessage());
    err.flush();
    return EventflowCommand.EXIT_USAGE;
  }
}
