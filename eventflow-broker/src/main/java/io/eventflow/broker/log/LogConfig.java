package io.eventflow.broker.log;

/**
 * How a {@link SegmentedLog} lays out and forces its bytes.
 *
 * @param segmentBytes a segment is rolled once it would grow past this size
 * @param fsync when appended bytes are forced to disk
 * @param maxPendingBytes appends are refused with {@link LogFullException} while the batch waiting
 *     for the disk (encoded, not yet written) holds at least this many bytes
 */
public record LogConfig(long segmentBytes, FsyncPolicy fsync, long maxPendingBytes) {

  /** 64 MiB keeps a recovery scan of the active segment well under a second. */
  public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;

  /**
   * 32 MiB of records waiting for the disk: about 100,000 messages of 300 bytes, two thirds of a
   * second at the 140k msg/s the broker sustains, or three publishes of Pub/Sub's 10 MB maximum. A
   * disk that falls further behind than that gets back-pressure instead of a growing heap.
   */
  public static final long DEFAULT_MAX_PENDING_BYTES = 32L * 1024 * 1024;

  /** A config with the default pending-batch bound. */
  public LogConfig(long segmentBytes, FsyncPolicy fsync) {
    this(segmentBytes, fsync, DEFAULT_MAX_PENDING_BYTES);
  }

  /** Validates the settings. */
  public LogConfig {
    if (segmentBytes < 1024 || segmentBytes > (1L << 30)) {
      throw new IllegalArgumentException(
          "segment size must be between 1 KiB and 1 GiB, got " + segmentBytes);
    }
    if (maxPendingBytes < 1 || maxPendingBytes > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException(
          "the pending batch bound must be between 1 byte and 1 GiB, got " + maxPendingBytes);
    }
  }
}
