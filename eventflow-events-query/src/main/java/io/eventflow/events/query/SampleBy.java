package io.eventflow.events.query;

import io.eventflow.timeseries.srv.Bucketing;
import io.eventflow.timeseries.srv.CalendarUnit;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code --sample-by} into the query service's {@link Bucketing}, so a sample of raw events
 * cuts time exactly as {@code eventflow series get} does: {@code Nm} and {@code Nh} are fixed steps
 * aligned to local midnight in the zone (every UTC-offset change starts a bucket too), {@code 1d}
 * is the calendar day (23 or 25 hours on a daylight-saving change).
 */
public final class SampleBy {
  private static final Pattern TEXT = Pattern.compile("\\s*(\\d{1,5})\\s*([mhd])\\s*");

  private SampleBy() {}

  /**
   * Parses {@code 5m}, {@code 1h}, {@code 1d} and the like.
   *
   * @throws InvalidQueryException naming the accepted forms
   */
  public static Bucketing parse(String text) throws InvalidQueryException {
    Matcher m = TEXT.matcher(text);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2);
      if (unit.equals("d") && n == 1) {
        return Bucketing.calendar(CalendarUnit.DAY);
      }
      long seconds = n * (unit.equals("h") ? 3600 : 60);
      if (!unit.equals("d") && n > 0 && seconds <= Bucketing.MAX_STEP_SECONDS) {
        return Bucketing.step(seconds);
      }
    }
    throw new InvalidQueryException(
        "bad --sample-by '"
            + text
            + "': expected whole minutes or hours up to 24h (5m, 15m, 1h, 6h) or 1d (a calendar"
            + " day)");
  }
}
