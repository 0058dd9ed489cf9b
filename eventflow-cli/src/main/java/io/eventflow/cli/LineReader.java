package io.eventflow.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Splits a stream into lines of raw bytes, so each line is decoded (and its UTF-8 checked) on its
 * own: one bad line is then one rejected line, not a failed run. Ends lines at {@code \n} and drops
 * a {@code \r} before it. A line longer than the limit is not kept in memory: its bytes are skipped
 * up to the next newline and {@link #tooLong()} reports it, so input without newlines (a binary
 * file, a truncated dump) costs at most the limit, not the size of the input. Not thread-safe.
 */
final class LineReader {
  /**
   * The default longest line, 1 MiB. An event is a Pub/Sub message of at most 10 MB, but the events
   * ingest accepts are far smaller (a payload over 1 MB is dead-lettered as {@code
   * PAYLOAD_TOO_LARGE}): 1 MiB of JSON is never a real event and always fits in the heap.
   */
  static final int DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

  private final InputStream in;
  private final int maxLineBytes;
  private final byte[] buffer = new byte[64 * 1024];
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
  private int position;
  private int limit;
  private long lastLength;
  private boolean tooLong;

  /** Reads lines of at most {@link #DEFAULT_MAX_LINE_BYTES} from the stream. */
  LineReader(InputStream in) {
    this(in, DEFAULT_MAX_LINE_BYTES);
  }

  /** Reads lines of at most {@code maxLineBytes} (terminator excluded) from the stream. */
  LineReader(InputStream in, int maxLineBytes) {
    if (maxLineBytes <= 0) {
      throw new IllegalArgumentException("maxLineBytes must be positive, got " + maxLineBytes);
    }
    this.in = in;
    this.maxLineBytes = maxLineBytes;
  }

  /**
   * Returns the next line without its terminator, or null at the end of the stream. For a line
   * longer than the limit it returns an empty array and {@link #tooLong()} is true.
   */
  byte[] next() throws IOException {
    line.reset();
    lastLength = 0;
    tooLong = false;
    boolean any = false;
    while (true) {
      if (position == limit) {
        limit = in.read(buffer);
        position = 0;
        if (limit <= 0) {
          limit = 0;
          return any ? finish() : null;
        }
      }
      any = true;
      int start = position;
      while (position < limit && buffer[position] != '\n') {
        position++;
      }
      append(start, position - start);
      if (position < limit) {
        position++; // the '\n'
        return finish();
      }
    }
  }

  /** Whether the line {@link #next()} returned last was longer than the limit (and dropped). */
  boolean tooLong() {
    return tooLong;
  }

  /** The length in bytes of the line {@link #next()} returned last, also when it was dropped. */
  long lastLength() {
    return lastLength;
  }

  /** The longest line this reader returns. */
  int maxLineBytes() {
    return maxLineBytes;
  }

  private void append(int start, int length) {
    lastLength += length;
    // One byte over the limit is kept so a trailing '\r' (dropped later) does not count.
    if (!tooLong && line.size() + length > maxLineBytes + 1) {
      tooLong = true;
      line.reset();
    }
    if (!tooLong) {
      line.write(buffer, start, length);
    }
  }

  private byte[] finish() {
    byte[] bytes = line.toByteArray();
    if (!tooLong && bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
      lastLength--;
      byte[] stripped = new byte[bytes.length - 1];
      System.arraycopy(bytes, 0, stripped, 0, stripped.length);
      bytes = stripped;
    }
    if (!tooLong && bytes.length > maxLineBytes) {
      tooLong = true;
    }
    return tooLong ? new byte[0] : bytes;
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
