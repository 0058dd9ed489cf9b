package io.eventflow.common;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * Masks credentials in settings a process may log or put in an error message: the user info of a
 * URL ({@code redis://user:secret@host} → {@code redis://***@host}, the same for MQTT broker URLs)
 * and the password and user of a JDBC URL ({@code ;PASSWORD=secret} → {@code ;PASSWORD=***}). The
 * query service, the local stack, the MQTT bridge and the command line all mask with it.
 */
public final class Redaction {
  /** {@code scheme://userinfo@} in any URL text, even one {@link URI} cannot parse. */
  private static final Pattern USER_INFO = Pattern.compile("(?<=://)[^/@?#]*@");

  /** H2's {@code ;PASSWORD=…} and {@code ;USER=…} settings (case-insensitive, to the next ;). */
  private static final Pattern JDBC_SECRET =
      Pattern.compile("(?i)(;\\s*(?:PASSWORD|USER|CIPHER|FILE_PASSWORD)\\s*=)[^;]*");

  private Redaction() {}

  /** Returns the URL with its user info (user and password) masked. */
  public static String redact(URI url) {
    return redactUrlText(url.toString());
  }

  /** Returns URL text with any user info masked, whether or not it parses as a URI. */
  public static String redactUrlText(String text) {
    return USER_INFO.matcher(text).replaceAll("***@");
  }

  /** Returns an {@code EVENTFLOW_STORE} value with JDBC credentials and URL user info masked. */
  public static String redactStore(String store) {
    return JDBC_SECRET.matcher(redactUrlText(store)).replaceAll("$1***");
  }
}
