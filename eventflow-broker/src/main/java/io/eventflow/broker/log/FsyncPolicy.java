package io.eventflow.broker.log;

import java.util.Locale;

/** When appended bytes are forced from the OS page cache to the disk. */
public enum FsyncPolicy {
  /** Force after every group-commit batch, before any publish in it is answered. */
  ALWAYS,
  /**
   * Force on a timer; a publish is answered once written, losing at most one interval on power
   * loss.
   */
  INTERVAL,
  /** Never force; the OS decides. Survives process crashes (kill -9), not power loss. */
  NEVER;

  /** Parses {@code always}, {@code interval} or {@code never}, ignoring case. */
  public static FsyncPolicy parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "fsync policy must be one of always, interval, never; got '" + text + "'", e);
    }
  }
}
