package io.eventflow.timeseries.store;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Builds series names, so the rollups job that writes them and the query service that looks them up
 * agree on one spelling.
 *
 * <p>A name is dot-separated: {@code TYPE[.CUSTOMER].count} for event counts and {@code
 * TYPE[.CUSTOMER].ATTRIBUTE.FUNC} (FUNC one of {@code sum}, {@code min}, {@code max}) for attribute
 * rollups. Within a component, ASCII letters, digits, {@code _} and {@code -} stand for themselves;
 * every other character, the dot and {@code %} included, is written as {@code %XX} for each byte of
 * its UTF-8 encoding (upper-case hex). A component therefore never contains a dot, and the number
 * of components plus the last one ({@code count} versus a function) tell every shape apart: the
 * names are unambiguous and no event is ever dropped for its characters.
 */
public final class SeriesNames {
  /**
   * The longest series name stored, in characters (all ASCII after escaping). Spanner limits a
   * whole key to 8 KiB; 1,024 leaves room for the other key columns and keeps index entries small.
   */
  public static final int MAX_LENGTH = 1024;

  /** The last component of count series. */
  public static final String COUNT = "count";

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private SeriesNames() {}

  /**
   * Returns the name of the event count series of a type, for one customer or, when {@code
   * customer} is null, across customers.
   */
  public static String count(String type, String customer) {
    StringBuilder b = new StringBuilder(type.length() + 16 + length(customer));
    appendEscaped(b, type);
    if (customer != null) {
      appendEscaped(b.append('.'), customer);
    }
    return b.append('.').append(COUNT).toString();
  }

  /**
   * Returns the name of the series aggregating an attribute of a type with a function, for one
   * customer or, when {@code customer} is null, across customers.
   */
  public static String rollup(
      String type, String customer, String attribute, AggregateFunction function) {
    StringBuilder b = new StringBuilder(type.length() + attribute.length() + 8 + length(customer));
    appendEscaped(b, type);
    if (customer != null) {
      appendEscaped(b.append('.'), customer);
    }
    appendEscaped(b.append('.'), attribute);
    return b.append('.').append(suffix(function)).toString();
  }

  /**
   * Returns the middle component of a series grouped by a dimension: {@code DIMENSION=VALUE}, both
   * escaped like any component. Escaping never writes {@code =}, so the first {@code =} separates
   * them and {@code TYPE.DIMENSION=VALUE...} names cannot collide with customer series.
   */
  public static String dimension(String dimension, String value) {
    StringBuilder b = new StringBuilder(dimension.length() + value.length() + 1);
    appendEscaped(b, dimension);
    appendEscaped(b.append('='), value);
    return b.toString();
  }

  /** Returns {@code TYPE.DIMENSION=VALUE.count}: the events of a type with that value. */
  public static String countBy(String type, String dimension, String value) {
    StringBuilder b = new StringBuilder(type.length() + dimension.length() + value.length() + 8);
    appendEscaped(b, type);
    b.append('.').append(dimension(dimension, value));
    return b.append('.').append(COUNT).toString();
  }

  /** Returns {@code TYPE.DIMENSION=VALUE.ATTRIBUTE.FUNC}. */
  public static String rollupBy(
      String type, String dimension, String value, String attribute, AggregateFunction function) {
    StringBuilder b =
        new StringBuilder(
            type.length() + dimension.length() + value.length() + attribute.length() + 8);
    appendEscaped(b, type);
    b.append('.').append(dimension(dimension, value));
    appendEscaped(b.append('.'), attribute);
    return b.append('.').append(suffix(function)).toString();
  }

  /**
   * Returns the last component of the series of a function: {@code sum}, {@code min} or {@code
   * max}.
   */
  public static String suffix(AggregateFunction function) {
    return function.name().toLowerCase(Locale.ROOT);
  }

  /** Returns whether a character stands for itself in a name component. */
  public static boolean isPlain(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '-';
  }

  /** Returns a name component with every character that is not plain percent-encoded. */
  public static String escape(String component) {
    for (int i = 0; i < component.length(); i++) {
      if (!isPlain(component.charAt(i))) {
        StringBuilder b = new StringBuilder(component.length() + 8);
        appendEscaped(b, component);
        return b.toString();
      }
    }
    return component;
  }

  private static void appendEscaped(StringBuilder b, String component) {
    int n = component.length();
    int i = 0;
    // The common case is all plain: append it in one call.
    while (i < n && isPlain(component.charAt(i))) {
      i++;
    }
    b.append(component, 0, i);
    if (i == n) {
      return;
    }
    byte[] rest = component.substring(i).getBytes(StandardCharsets.UTF_8);
    for (byte raw : rest) {
      char c = (char) (raw & 0xff);
      if (raw >= 0 && isPlain(c)) {
        b.append(c);
      } else {
        b.append('%').append(HEX[(raw >> 4) & 0xf]).append(HEX[raw & 0xf]);
      }
    }
  }

  private static int length(String s) {
    return s == null ? 0 : s.length() + 1;
  }
}
