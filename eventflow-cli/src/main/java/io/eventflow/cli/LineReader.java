package io.eventflow.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Splits a stream into lines of raw bytes, so each line is decoded (and its UTF-8 checked) on its
 * own: one bad line is then one rejected line, not a failed run. Ends lines at {@code \n} and drops
 * a {@code \r} before it. Not thread-safe.
 */
final class LineReader {
  private final InputStream in;
  private final byte[] buffer = new byte[64 * 1024];
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
  private int position;
  private int limit;

  /** Reads lines from the stream, which the caller closes. */
  LineReader(InputStream in) {
    this.in = in;
  }

  /** Returns the next line without its terminator, or null at the end of the stream. */
  byte[] next() throws IOException {
    line.reset();
    boolean any = false;
    while (true) {
      if (position == limit) {
        limit = in.read(buffer);
        position = 0;
        if (limit <= 0) {
          limit = 0;
          return any ? stripCarriageReturn(line.toByteArray()) : null;
        }
      }
      any = true;
      int start = position;
      while (position < limit && buffer[position] != '\n') {
        position++;
      }
      line.write(buffer, start, position - start);
      if (position < limit) {
        position++; // the '\n'
        return stripCarriageReturn(line.toByteArray());
      }
    }
  }

  private static byte[] stripCarriageReturn(byte[] bytes) {
    if (bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
      byte[] stripped = new byte[bytes.length - 1];
      System.arraycopy(bytes, 0, stripped, 0, stripped.length);
      return stripped;
    }
    return bytes;
  }

  /** Returns whether a line holds nothing but spaces and tabs. */
  static boolean isBlank(byte[] line) {
    for (byte b : line) {
      if (b != ' ' && b != '\t') {
        return false;
      }
    }
    return true;
  }
}
