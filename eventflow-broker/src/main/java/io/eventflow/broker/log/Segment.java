package io.eventflow.broker.log;

import java.util.Arrays;

/**
 * One segment of a log: its storage plus an in-memory index of record positions and the range of
 * publish times it holds, so a seek by time picks the segment without reading it. Guarded by the
 * owning log's lock except for {@link #storage}, whose reads and writes are thread-safe.
 */
final class Segment {
  /** Record header: payload length, CRC32C, offset, publish time. */
  static final int HEADER_BYTES = 4 + 4 + 8 + 8;

  final long baseOffset;
  final SegmentStorage storage;
  private int[] positions = new int[1024];
  private int count;
  private long committedBytes;
  private long minTime = Long.MAX_VALUE;
  private long maxTime = Long.MIN_VALUE;

  Segment(long baseOffset, SegmentStorage storage) {
    this.baseOffset = baseOffset;
    this.storage = storage;
  }

  /** Records that a record starting at {@code position} was committed. */
  void index(long position, long publishTimeMicros) {
    if (count == positions.length) {
      positions = Arrays.copyOf(positions, count * 2);
    }
    positions[count++] = (int) position;
    minTime = Math.min(minTime, publishTimeMicros);
    maxTime = Math.max(maxTime, publishTimeMicros);
  }

  void setCommittedBytes(long bytes) {
    committedBytes = bytes;
  }

  long committedBytes() {
    return committedBytes;
  }

  int count() {
    return count;
  }

  long endOffset() {
    return baseOffset + count;
  }

  long position(int index) {
    return index == count ? committedBytes : positions[index];
  }

  long minTime() {
    return minTime;
  }

  long maxTime() {
    return maxTime;
  }
}
