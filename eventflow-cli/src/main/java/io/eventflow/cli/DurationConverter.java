package io.eventflow.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a positive duration such as {@code 500ms}, {@code 30s}, {@code 1.5m}, {@code 2h} or ISO.
 */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    Duration duration = parse(value.trim());
    if (duration.isNegative() || duration.isZero()) {
      throw new TypeConversionException("duration must be positive, got '" + value + "'");
    }
    return duration;
  }

  private static Duration parse(String value) {
    Matcher m = SIMPLE.matcher(value);
    if (m.matches()) {
      BigDecimal amount = new BigDecimal(m.group(1));
      long nanosPerUnit =
          switch (m.group(2)) {
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L;
          };
      BigDecimal nanos = amount.multiply(BigDecimal.valueOf(nanosPerUnit));
      // longValue() would wrap past Long.MAX_VALUE ns (292 years) into a negative or a small
      // positive duration; a flag that large is a typo, so it is refused.
      if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
        throw tooLong(value);
      }
      return Duration.ofNanos(nanos.longValue());
    }
    try {
      Duration duration = Duration.parse(value);
      // The callers use the duration in nanoseconds and milliseconds; keep it in range of both
      // (toNanos throws ArithmeticException past 292 years).
      return Duration.ofNanos(duration.toNanos());
    } catch (ArithmeticException e) {
      throw tooLong(value);
    } catch (DateTimeParseException e) {
      if (e.getCause() instanceof ArithmeticException) {
        throw tooLong(value);
      }
      throw new TypeConversionException(
          "expected a duration like 500ms, 30s, 5m or 1h, got '" + value + "'");
    }
  }

  private static TypeConversionException tooLong(String value) {
    return new TypeConversionException(
        "duration is too long (at most 292 years, Long.MAX_VALUE nanoseconds), got '"
            + value
            + "'");
  }
}
