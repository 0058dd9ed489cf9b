package io.eventflow.timeseries.srv;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.IsoFields;
import java.time.temporal.TemporalAdjusters;

/**
 * A bucket length of a day or more: buckets start at the first instant of a local date in the
 * query's zone ({@link LocalDate#atStartOfDay(java.time.ZoneId)}, which moves past a midnight that
 * a daylight-saving gap skips).
 */
public enum CalendarUnit {
  /** Calendar days. */
  DAY,
  /** Weeks starting on Sunday. */
  WEEK,
  /** ISO 8601 weeks, starting on Monday. */
  ISO_WEEK,
  /** Calendar months. */
  MONTH,
  /** Calendar quarters, starting in January, April, July and October. */
  QUARTER,
  /** Calendar years. */
  YEAR,
  /** ISO 8601 week-based years, starting on the Monday of the week containing January 4. */
  ISO_YEAR;

  /** Returns the first date of the bucket containing {@code date}. */
  public LocalDate truncate(LocalDate date) {
    return switch (this) {
      case DAY -> date;
      case WEEK -> date.with(TemporalAdjusters.previousOrSame(DayOfWeek.SUNDAY));
      case ISO_WEEK -> date.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
      case MONTH -> date.withDayOfMonth(1);
      case QUARTER -> LocalDate.of(date.getYear(), (date.getMonthValue() - 1) / 3 * 3 + 1, 1);
      case YEAR -> date.withDayOfYear(1);
      case ISO_YEAR -> isoYearStart(date.get(IsoFields.WEEK_BASED_YEAR));
    };
  }

  /** Returns the first date of the bucket after the one starting on {@code bucketStart}. */
  public LocalDate next(LocalDate bucketStart) {
    return switch (this) {
      case DAY -> bucketStart.plusDays(1);
      case WEEK, ISO_WEEK -> bucketStart.plusWeeks(1);
      case MONTH -> bucketStart.plusMonths(1);
      case QUARTER -> bucketStart.plusMonths(3);
      case YEAR -> bucketStart.plusYears(1);
      case ISO_YEAR -> isoYearStart(bucketStart.get(IsoFields.WEEK_BASED_YEAR) + 1);
    };
  }

  private static LocalDate isoYearStart(int weekBasedYear) {
    // ISO week 1 is the week with January 4 in it.
    return LocalDate.of(weekBasedYear, 1, 4)
        .with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
  }
}
