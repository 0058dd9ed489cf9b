package io.eventflow.cli;

import io.eventflow.timeseries.api.SeriesFormat;
import io.eventflow.timeseries.api.SeriesQuery;
import io.eventflow.timeseries.api.SeriesValues;
import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.Fill;
import io.eventflow.timeseries.api.pb.Granularity;
import java.io.PrintWriter;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code eventflow series get}: reads the bucketed values of one series over {@code [start, end)}
 * and prints them as a table, JSON, CSV or a terminal chart ({@link SeriesFormat}).
 */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Prints the values of series NAME over [--start, --end): minutes from --start inclusive to"
          + " --end exclusive, bucketed by a calendar --granularity in --tz or by a fixed --step.",
    })
final class SeriesGetCommand implements Callable<Integer> {
  @Mixin QueryServerOptions server;

  @Parameters(
      index = "0",
      paramLabel = "NAME",
      description = "The series, e.g. purchase.amount.sum.")
  String name;

  @Option(
      names = "--start",
      required = true,
      paramLabel = "TIME",
      converter = TimeArgument.Converter.class,
      description =
          "First instant of the range (inclusive): RFC 3339 such as 2026-11-20T00:00:00Z or"
              + " 2026-11-20T09:00:00+01:00, or a local date-time or date in --tz such as"
              + " 2026-11-20T09:30 or 2026-11-20 (its midnight).")
  TimeArgument start;

  @Option(
      names = "--end",
      required = true,
      paramLabel = "TIME",
      converter = TimeArgument.Converter.class,
      description = "End of the range (exclusive), in the same forms as --start.")
  TimeArgument end;

  @Option(
      names = "--tz",
      paramLabel = "ZONE",
      defaultValue = "UTC",
      converter = ZoneConverter.class,
      description =
          "IANA time zone, e.g. America/New_York: buckets start at its local midnights and hours,"
              + " local --start/--end are read in it, and the table and chart show its times."
              + " Default: UTC.")
  ZoneId zone;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Buckets buckets;

  /** How values are bucketed: by calendar unit or by a fixed step, never both. */
  static final class Buckets {
    @Option(
        names = "--granularity",
        paramLabel = "UNIT",
        converter = GranularityConverter.class,
        description =
            "Calendar buckets in --tz: minute, hour, day, week (from Sunday), isoweek (from"
                + " Monday), month, quarter, year or isoyear. Default: day.")
    Granularity granularity;

    @Option(
        names = "--step",
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        description =
            "Fixed buckets of whole minutes from 1m to 24h, aligned to local midnight in --tz,"
                + " e.g. 5m, 15m, 6h.")
    Duration step;
  }

  @Option(
      names = "--agg",
      paramLabel = "FUNCTION",
      converter = AggregateConverter.class,
      description =
          "sum, min, max or avg (for a sum series the mean per event, otherwise the mean of the"
              + " per-minute values). Default: the series' own function.")
  AggregateFunction function = AggregateFunction.AGGREGATE_FUNCTION_UNSPECIFIED;

  @Option(
      names = "--fill",
      paramLabel = "zero",
      converter = FillConverter.class,
      description =
          "zero: print every bucket in range, an empty one as 0 (NaN, shown as null or blank,"
              + " for min, max and avg). Default: none, empty buckets are left out.")
  Fill fill = Fill.FILL_NONE;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "table",
      converter = FormatConverter.class,
      description =
          "table (times in --tz), json ({\"name\":…,\"points\":[{\"start\":…,\"value\":…}]}"
              + " with UTC times), csv (start,value in UTC) or chart (a column chart in the"
              + " terminal). Default: table.")
  SeriesFormat format;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Instant from = start.resolve(zone);
    Instant to = end.resolve(zone);
    SeriesQuery query = SeriesQuery.of(name, from, to).zone(zone).aggregate(function).fill(fill);
    if (buckets != null && buckets.step != null) {
      query.step(buckets.step);
    } else if (buckets != null && buckets.granularity != null) {
      query.granularity(buckets.granularity);
    }
    SeriesValues values = server.call(client -> client.get(query));
    PrintWriter out = spec.commandLine().getOut();
    out.print(format.render(values, zone));
    out.flush();
    if (values.size() == 0) {
      // Say why the output is empty on stderr, where it cannot corrupt a JSON or CSV consumer.
      PrintWriter err = spec.commandLine().getErr();
      err.println("no data for " + name + " in [" + from + ", " + to + ")");
      err.flush();
    }
    return 0;
  }

  /** Returns the lower-case short name of a function, as {@code --agg} takes it: {@code sum}. */
  static String name(AggregateFunction function) {
    return function.name().replace("AGGREGATE_FUNCTION_", "").toLowerCase(Locale.ROOT);
  }

  /** Reads an IANA zone id, or an offset such as {@code +05:30}. */
  static final class ZoneConverter implements ITypeConverter<ZoneId> {
    @Override
    public ZoneId convert(String value) {
      try {
        ZoneId zone = ZoneId.of(value.trim());
        // Print UTC as Z in times, whichever of its spellings was given.
        return zone.normalized().equals(ZoneOffset.UTC) ? ZoneOffset.UTC : zone;
      } catch (DateTimeException e) {
        throw new TypeConversionException(
            "unknown time zone '" + value + "'; expected an IANA zone such as America/New_York");
      }
    }
  }

  /** Reads a granularity name in any case. */
  static final class GranularityConverter implements ITypeConverter<Granularity> {
    @Override
    public Granularity convert(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT).replace("_", "").replace("-", "")) {
        case "minute" -> Granularity.GRANULARITY_MINUTE;
        case "hour" -> Granularity.GRANULARITY_HOUR;
        case "day" -> Granularity.GRANULARITY_DAY;
        case "week" -> Granularity.GRANULARITY_WEEK;
        case "isoweek" -> Granularity.GRANULARITY_ISO_WEEK;
        case "month" -> Granularity.GRANULARITY_MONTH;
        case "quarter" -> Granularity.GRANULARITY_QUARTER;
        case "year" -> Granularity.GRANULARITY_YEAR;
        case "isoyear" -> Granularity.GRANULARITY_ISO_YEAR;
        default ->
            throw new TypeConversionException(
                "unknown granularity '"
                    + value
                    + "'; expected minute, hour, day, week, isoweek, month, quarter, year or"
                    + " isoyear");
      };
    }
  }

  /** Reads an aggregate function name in any case. */
  static final class AggregateConverter implements ITypeConverter<AggregateFunction> {
    @Override
    public AggregateFunction convert(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "sum" -> AggregateFunction.AGGREGATE_FUNCTION_SUM;
        case "min" -> AggregateFunction.AGGREGATE_FUNCTION_MIN;
        case "max" -> AggregateFunction.AGGREGATE_FUNCTION_MAX;
        case "avg" -> AggregateFunction.AGGREGATE_FUNCTION_AVG;
        default ->
            throw new TypeConversionException(
                "unknown aggregate function '" + value + "'; expected sum, min, max or avg");
      };
    }
  }

  /** Reads a fill policy: {@code zero}, or {@code none} (the default, spelled out). */
  static final class FillConverter implements ITypeConverter<Fill> {
    @Override
    public Fill convert(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "zero" -> Fill.FILL_ZERO;
        case "none" -> Fill.FILL_NONE;
        default -> throw new TypeConversionException("unknown fill '" + value + "'; expected zero");
      };
    }
  }

  /** Reads an output format in any case. */
  static final class FormatConverter implements ITypeConverter<SeriesFormat> {
    @Override
    public SeriesFormat convert(String value) {
      try {
        return SeriesFormat.parse(value.trim());
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
