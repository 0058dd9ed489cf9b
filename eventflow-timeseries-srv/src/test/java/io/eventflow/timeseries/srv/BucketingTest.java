package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BucketingTest {
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  private static final ZoneId KATHMANDU = ZoneId.of("Asia/Kathmandu");
  private static final ZoneId LORD_HOWE = ZoneId.of("Australia/Lord_Howe");

  /** Returns the boundaries for [start, end) as RFC 3339 UTC strings. */
  private static List<String> bounds(Bucketing bucketing, ZoneId zone, String start, String end)
      throws InvalidQueryException {
    long[] b =
        bucketing.boundaries(
            zone, Instant.parse(start).getEpochSecond(), Instant.parse(end).getEpochSecond(), 1000);
    return Arrays.stream(b).mapToObj(s -> Instant.ofEpochSecond(s).toString()).toList();
  }

  @Test
  void daysInUtcStartAtMidnight() throws Exception {
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.DAY),
                ZoneOffset.UTC,
                "2024-01-01T12:00:00Z",
                "2024-01-03T00:00:00Z"))
        .containsExactly("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z");
  }

  @Test
  void newYorkSpringForwardDayIs23Hours() throws Exception {
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.DAY),
                NEW_YORK,
                "2024-03-10T05:00:00Z",
                "2024-03-11T05:00:00Z"))
        .containsExactly("2024-03-10T05:00:00Z", "2024-03-11T04:00:00Z", "2024-03-12T04:00:00Z");
  }

  @Test
  void newYorkFallBackDayIs25Hours() throws Exception {
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.DAY),
                NEW_YORK,
                "2024-11-03T04:00:00Z",
                "2024-11-04T05:00:00Z"))
        .containsExactly("2024-11-03T04:00:00Z", "2024-11-04T05:00:00Z");
  }

  @Test
  void newYorkSpringForwardSkipsTheMissingHour() throws Exception {
    // 01:00 EST, then 03:00 EDT: local 02:00 never happens.
    assertThat(
            bounds(Bucketing.step(3600), NEW_YORK, "2024-03-10T06:00:00Z", "2024-03-10T08:00:00Z"))
        .containsExactly("2024-03-10T06:00:00Z", "2024-03-10T07:00:00Z", "2024-03-10T08:00:00Z");
  }

  @Test
  void newYorkFallBackRepeatedHourIsItsOwnBucket() throws Exception {
    // 01:00 EDT, 01:00 EST (the repeat), 02:00 EST.
    assertThat(
            bounds(Bucketing.step(3600), NEW_YORK, "2024-11-03T05:00:00Z", "2024-11-03T08:00:00Z"))
        .containsExactly(
            "2024-11-03T05:00:00Z",
            "2024-11-03T06:00:00Z",
            "2024-11-03T07:00:00Z",
            "2024-11-03T08:00:00Z");
  }

  @Test
  void kathmanduHoursStartAtQuarterPast() throws Exception {
    // +05:45: local 06:00 is 00:15 UTC.
    assertThat(
            bounds(Bucketing.step(3600), KATHMANDU, "2024-01-01T00:20:00Z", "2024-01-01T01:20:00Z"))
        .containsExactly("2024-01-01T00:15:00Z", "2024-01-01T01:15:00Z", "2024-01-01T02:15:00Z");
  }

  @Test
  void kathmanduDaysStartAt1815Utc() throws Exception {
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.DAY),
                KATHMANDU,
                "2024-01-01T00:00:00Z",
                "2024-01-01T20:00:00Z"))
        .containsExactly("2023-12-31T18:15:00Z", "2024-01-01T18:15:00Z", "2024-01-02T18:15:00Z");
  }

  @Test
  void lordHoweFallBackSplitsTheHourAtTheHalfHourChange() throws Exception {
    // 2024-04-07 02:00 +11:00 becomes 01:30 +10:30 at 15:00 UTC: 01:00+11 runs one hour, the
    // repeated 01:30-02:00 is a 30-minute bucket, then 02:00+10:30.
    assertThat(
            bounds(Bucketing.step(3600), LORD_HOWE, "2024-04-06T14:00:00Z", "2024-04-06T16:30:00Z"))
        .containsExactly(
            "2024-04-06T14:00:00Z",
            "2024-04-06T15:00:00Z",
            "2024-04-06T15:30:00Z",
            "2024-04-06T16:30:00Z");
  }

  @Test
  void lordHoweSpringForwardHourIsThirtyMinutes() throws Exception {
    // 2024-10-06 02:00 +10:30 becomes 02:30 +11:00 at 15:30 UTC: the 02:xx hour lasts 30 minutes.
    assertThat(
            bounds(Bucketing.step(3600), LORD_HOWE, "2024-10-05T14:30:00Z", "2024-10-05T17:00:00Z"))
        .containsExactly(
            "2024-10-05T14:30:00Z",
            "2024-10-05T15:30:00Z",
            "2024-10-05T16:00:00Z",
            "2024-10-05T17:00:00Z");
  }

  @Test
  void lordHoweDayAcrossFallBackIs23AndAHalfOr24AndAHalfHours() throws Exception {
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.DAY),
                LORD_HOWE,
                "2024-04-06T13:00:00Z",
                "2024-04-07T13:30:00Z"))
        // Midnight +11 is 13:00 UTC; the next midnight is at +10:30, 13:30 UTC: a 24.5-hour day.
        .containsExactly("2024-04-06T13:00:00Z", "2024-04-07T13:30:00Z");
  }

  @Test
  void weekStartsSundayAndIsoWeekMonday() throws Exception {
    // 2024-01-01 is a Monday.
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.WEEK),
                ZoneOffset.UTC,
                "2024-01-01T00:00:00Z",
                "2024-01-02T00:00:00Z"))
        .containsExactly("2023-12-31T00:00:00Z", "2024-01-07T00:00:00Z");
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.ISO_WEEK),
                ZoneOffset.UTC,
                "2024-01-01T00:00:00Z",
                "2024-01-02T00:00:00Z"))
        .containsExactly("2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z");
  }

  @Test
  void isoYearStartsOnTheMondayOfTheWeekWithJanuaryFourth() throws Exception {
    // January 1-3, 2021 belong to ISO year 2020, which began on Monday 2019-12-30.
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.ISO_YEAR),
                ZoneOffset.UTC,
                "2021-01-01T00:00:00Z",
                "2021-01-10T00:00:00Z"))
        .containsExactly("2019-12-30T00:00:00Z", "2021-01-04T00:00:00Z", "2022-01-03T00:00:00Z");
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.YEAR),
                ZoneOffset.UTC,
                "2021-01-01T00:00:00Z",
                "2021-01-10T00:00:00Z"))
        .containsExactly("2021-01-01T00:00:00Z", "2022-01-01T00:00:00Z");
  }

  @Test
  void monthsAndQuartersFollowTheLocalCalendar() throws Exception {
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.MONTH),
                NEW_YORK,
                "2024-02-15T00:00:00Z",
                "2024-04-01T04:01:00Z"))
        .containsExactly(
            "2024-02-01T05:00:00Z",
            "2024-03-01T05:00:00Z",
            "2024-04-01T04:00:00Z",
            "2024-05-01T04:00:00Z");
    assertThat(
            bounds(
                Bucketing.calendar(CalendarUnit.QUARTER),
                NEW_YORK,
                "2024-02-15T00:00:00Z",
                "2024-04-01T04:01:00Z"))
        .containsExactly("2024-01-01T05:00:00Z", "2024-04-01T04:00:00Z", "2024-07-01T04:00:00Z");
  }

  @Test
  void stepsAlignToLocalMidnight() throws Exception {
    // Six-hour steps in New York start at 00:00, 06:00, 12:00 and 18:00 local (-05:00).
    assertThat(
            bounds(
                Bucketing.step(6 * 3600), NEW_YORK, "2024-01-01T04:00:00Z", "2024-01-01T12:00:00Z"))
        .containsExactly(
            "2023-12-31T23:00:00Z",
            "2024-01-01T05:00:00Z",
            "2024-01-01T11:00:00Z",
            "2024-01-01T17:00:00Z");
    assertThat(
            bounds(
                Bucketing.step(300),
                ZoneOffset.UTC,
                "2024-01-01T00:07:00Z",
                "2024-01-01T00:15:00Z"))
        .containsExactly("2024-01-01T00:05:00Z", "2024-01-01T00:10:00Z", "2024-01-01T00:15:00Z");
  }

  @Test
  void tooManyBucketsIsRejectedWithTheLimit() {
    assertThatThrownBy(() -> Bucketing.step(60).boundaries(ZoneOffset.UTC, 0, 86_400, 1000))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessage(
            "the request would return more than 1000 buckets: shorten the range or use a longer"
                + " granularity or step");
  }

  @Test
  void exactlyTheLimitIsAllowed() throws Exception {
    assertThat(Bucketing.step(60).boundaries(ZoneOffset.UTC, 0, 60_000, 1000)).hasSize(1001);
  }
}
