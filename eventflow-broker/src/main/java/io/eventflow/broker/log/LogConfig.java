package io.eventflow.broker.log;

/**
 * How a {@link SegmentedLog} lays out and forces its bytes.
 *
 * @param segmentBytes a segment is rolled once it would grow past this size
 * @param fsync when appended bytes are forced to disk
 */
public record LogConfig(long segmentBytes, FsyncPolicy fsync) {

  /** 64 MiB keeps a recovery scan of the active segment well under a second. */
  public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;

  /** Validates the settings. */
  public LogConfig {
    if (segmentBytes < 1024 || segmentBytes > (1L << 30)) {
      throw new IllegalArgumentException(
          "segment size must be between 1 KiB and 1 GiB, got " + segmentBytes);
    }
  }
}
