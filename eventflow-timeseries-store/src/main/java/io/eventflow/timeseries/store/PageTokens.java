package io.eventflow.timeseries.store;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The opaque page tokens of {@link IntervalStore#listSeries}: the prefix of the listing and the
 * last name served, so a token only continues the listing that issued it.
 *
 * <p>Format (before URL-safe base64 without padding): a version byte {@code 1}, the prefix length
 * as a 4-byte big-endian int, the prefix and the last name, both UTF-8.
 */
public final class PageTokens {
  private static final byte VERSION = 1;

  private PageTokens() {}

  /** Returns the token that continues a listing of {@code prefix} after {@code lastName}. */
  public static String encode(String prefix, String lastName) {
    byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
    byte[] n = lastName.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(1 + 4 + p.length + n.length);
    buf.put(VERSION).putInt(p.length).put(p).put(n);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(buf.array());
  }

  /**
   * Returns the last name served before {@code token}, or the empty string for an empty token (the
   * first page).
   *
   * @throws IllegalArgumentException if the token was not issued for a listing of {@code prefix}
   */
  public static String decode(String prefix, String token) {
    if (token.isEmpty()) {
      return "";
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw foreign(token);
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    if (buf.remaining() < 5 || buf.get() != VERSION) {
      throw foreign(token);
    }
    int prefixLength = buf.getInt();
    if (prefixLength < 0 || prefixLength > buf.remaining()) {
      throw foreign(token);
    }
    String tokenPrefix = utf8(buf, prefixLength, token);
    if (!tokenPrefix.equals(prefix)) {
      throw new IllegalArgumentException(
          "page token belongs to a listing of prefix \""
              + tokenPrefix
              + "\", not \""
              + prefix
              + "\"");
    }
    String lastName = utf8(buf, buf.remaining(), token);
    if (lastName.isEmpty() || !lastName.startsWith(prefix)) {
      throw foreign(token);
    }
    return lastName;
  }

  private static String utf8(ByteBuffer buf, int length, String token) {
    ByteBuffer slice = buf.slice();
    slice.limit(length);
    buf.position(buf.position() + length);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(slice)
          .toString();
    } catch (CharacterCodingException e) {
      throw foreign(token);
    }
  }

  private static IllegalArgumentException foreign(String token) {
    return new IllegalArgumentException(
        "page token was not issued by this store: " + abbreviate(token));
  }

  private static String abbreviate(String token) {
    return token.length() <= 40 ? token : token.substring(0, 40) + "...";
  }
}
