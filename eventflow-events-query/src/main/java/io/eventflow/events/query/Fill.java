package io.eventflow.events.query;

import io.eventflow.timeseries.srv.InvalidQueryException;
import java.util.Locale;

/** What a sample prints for a bucket without events, as QuestDB's {@code FILL} does. */
public enum Fill {
  /** Leave the bucket out. */
  NONE,
  /** Print the bucket with null values. */
  NULL,
  /** Print the bucket with the previous printed bucket's values (null before the first). */
  PREV,
  /** Print the bucket with zero values. */
  ZERO;

  /**
   * Parses {@code --fill}, in any case.
   *
   * @throws InvalidQueryException naming the accepted modes
   */
  public static Fill parse(String text) throws InvalidQueryException {
    for (Fill fill : values()) {
      if (fill.name().equalsIgnoreCase(text.trim())) {
        return fill;
      }
    }
    throw new InvalidQueryException("bad --fill '" + text + "': expected none, null, prev or zero");
  }

  /** Returns the mode as {@code --fill} spells it. */
  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
