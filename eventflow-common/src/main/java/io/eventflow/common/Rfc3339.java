package io.eventflow.common;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;

/**
 * Formats protobuf timestamps as RFC 3339 UTC text without a date library: the same text as
 * protobuf's {@code Timestamps.toString} and as a {@code uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'}
 * formatter, in a fraction of the time. Formatting the event timestamp twice that way took about
 * 30% of ingest's per-event CPU path (docs/BENCHMARKS.md).
 *
 * <p>Thread-safe; all methods are static.
 */
public final class Rfc3339 {
  private static final long SECONDS_PER_DAY = 86_400;

  private Rfc3339() {}

  /**
   * Formats as {@code Timestamps.toString} does: no fraction when the nanoseconds are zero,
   * otherwise 3, 6 or 9 digits, the fewest that hold them exactly.
   *
   * @throws IllegalArgumentException if the timestamp is outside years 0001 to 9999 or its
   *     nanoseconds are outside 0 to 999,999,999
   */
  public static String format(Timestamp timestamp) {
    int nanos = timestamp.getNanos();
    int digits = nanos == 0 ? 0 : nanos % 1_000_000 == 0 ? 3 : nanos % 1_000 == 0 ? 6 : 9;
    return format(timestamp, digits);
  }

  /**
   * Formats with exactly six fraction digits, nanoseconds truncated to microseconds (BigQuery's
   * TIMESTAMP precision).
   *
   * @throws IllegalArgumentException as {@link #format(Timestamp)}
   */
  public static String formatMicros(Timestamp timestamp) {
    return format(timestamp, 6);
  }

  private static String format(Timestamp timestamp, int fractionDigits) {
    if (!Timestamps.isValid(timestamp)) {
      throw new IllegalArgumentException(
          "timestamp is not valid: seconds "
              + timestamp.getSeconds()
              + ", nanos "
              + timestamp.getNanos());
    }
    long seconds = timestamp.getSeconds();
    long days = Math.floorDiv(seconds, SECONDS_PER_DAY);
    int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);

    // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
    long z = days + 719_468;
    long era = Math.floorDiv(z, 146_097);
    long dayOfEra = z - era * 146_097;
    long yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
    long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    long monthIndex = (5 * dayOfYear + 2) / 153;
    int day = (int) (dayOfYear - (153 * monthIndex + 2) / 5 + 1);
    int month = (int) (monthIndex < 10 ? monthIndex + 3 : monthIndex - 9);
    int year = (int) (yearOfEra + era * 400 + (month <= 2 ? 1 : 0));

    char[] out = new char[20 + (fractionDigits == 0 ? 0 : 1 + fractionDigits)];
    digits(out, 0, year, 4);
    out[4] = '-';
    digits(out, 5, month, 2);
    out[7] = '-';
    digits(out, 8, day, 2);
    out[10] = 'T';
    digits(out, 11, secondOfDay / 3_600, 2);
    out[13] = ':';
    digits(out, 14, secondOfDay / 60 % 60, 2);
    out[16] = ':';
    digits(out, 17, secondOfDay % 60, 2);
    int at = 19;
    if (fractionDigits > 0) {
      out[at++] = '.';
      int fraction = timestamp.getNanos();
      for (int i = fractionDigits; i < 9; i++) {
        fraction /= 10;
      }
      digits(out, at, fraction, fractionDigits);
      at += fractionDigits;
    }
    out[at] = 'Z';
    return new String(out);
  }

  /** Writes {@code value} as exactly {@code width} decimal digits, zero-padded. */
  private static void digits(char[] out, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }
}
