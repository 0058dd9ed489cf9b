package io.eventflow.cli;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A point in time as {@code --start} and {@code --end} take it: an RFC 3339 instant with its offset
 * ({@code 2026-11-20T00:00:00Z}, {@code 2026-11-20T09:00:00+01:00}), or a local date-time ({@code
 * 2026-11-20T09:30}) or date ({@code 2026-11-20}, meaning its midnight) read in the {@code --tz}
 * zone, which is only known once every flag is parsed.
 */
final class TimeArgument {
  private final Instant instant;
  private final LocalDateTime local;

  private TimeArgument(Instant instant, LocalDateTime local) {
    this.instant = instant;
    this.local = local;
  }

  /**
   * Parses a time.
   *
   * @throws TypeConversionException naming the accepted forms if {@code text} is none of them
   */
  static TimeArgument parse(String text) {
    String value = text.trim();
    try {
      return new TimeArgument(OffsetDateTime.parse(value).toInstant(), null);
    } catch (DateTimeException notAnInstant) {
      // Try the local forms.
    }
    try {
      return new TimeArgument(null, LocalDateTime.parse(value));
    } catch (DateTimeException notALocalDateTime) {
      // Try a date.
    }
    try {
      return new TimeArgument(null, LocalDate.parse(value).atStartOfDay());
    } catch (DateTimeException notADate) {
      throw new TypeConversionException(
          "expected an RFC 3339 time like 2026-11-20T00:00:00Z, or a local date-time or date like"
              + " 2026-11-20T09:30 or 2026-11-20 in --tz, got '"
              + text
              + "'");
    }
  }

  /**
   * Returns the instant this time names in {@code zone}. A local time the clocks skip (the gap of a
   * spring-forward) moves forward by the length of the gap; one they repeat (fall-back) takes the
   * earlier offset, as {@link ZonedDateTime#ofLocal} does.
   */
  Instant resolve(ZoneId zone) {
    return instant != null ? instant : ZonedDateTime.ofLocal(local, zone, null).toInstant();
  }

  /** Reads a {@code --start} or {@code --end} value. */
  static final class Converter implements ITypeConverter<TimeArgument> {
    @Override
    public TimeArgument convert(String value) {
      return parse(value);
    }
  }
}
