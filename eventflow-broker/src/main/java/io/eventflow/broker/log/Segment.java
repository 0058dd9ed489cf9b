package io.eventflow.broker.log;

import java.util.Arrays;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One segment of a log: its storage plus an in-memory index of record positions and the range of
 * publish times it holds, so a seek by time picks the segment without reading it. Guarded by the
 * owning log's lock except for {@link #storage}, whose reads and writes are thread-safe.
 *
 * <p>A segment covers the offsets {@code [baseOffset, endOffset)}. Appended segments hold every
 * offset of that range (dense); a compacted one holds only the records compaction kept, so the
 * index also keeps each record's offset ({@link #offsetAt}), as a delta from the base: 4 bytes a
 * record, and nothing while the segment is dense.
 */
final class Segment {
  /** Record header: payload length, CRC32C, offset, publish time. */
  static final int HEADER_BYTES = 4 + 4 + 8 + 8;

  final long baseOffset;
  final SegmentStorage storage;
  private int[] positions = new int[1024];

  /** Each record's offset minus {@link #baseOffset}; null while record i has offset base + i. */
  private int @Nullable [] deltas;

  private int count;
  private long endOffset;
  private long committedBytes;
  private long minTime = Long.MAX_VALUE;
  private long maxTime = Long.MIN_VALUE;

  Segment(long baseOffset, SegmentStorage storage) {
    this.baseOffset = baseOffset;
    this.storage = storage;
    this.endOffset = baseOffset;
  }

  /**
   * Records that the record with the next offset ({@link #endOffset()}) starts at {@code position}.
   */
  void index(long position, long publishTimeMicros) {
    index(position, endOffset, publishTimeMicros);
  }

  /**
   * Records that the record with {@code offset} (above every offset indexed so far) starts at
   * {@code position}; offsets skipped on the way were removed by compaction.
   */
  void index(long position, long offset, long publishTimeMicros) {
    if (offset < endOffset) {
      throw new IllegalArgumentException(
          "offset " + offset + " is below the segment's end " + endOffset);
    }
    if (count == positions.length) {
      positions = Arrays.copyOf(positions, count * 2);
    }
    if (deltas == null && offset != baseOffset + count) {
      deltas = new int[positions.length];
      for (int i = 0; i < count; i++) {
        deltas[i] = i;
      }
    }
    if (deltas != null) {
      if (deltas.length < positions.length) {
        deltas = Arrays.copyOf(deltas, positions.length);
      }
      deltas[count] = Math.toIntExact(offset - baseOffset);
    }
    positions[count++] = (int) position;
    endOffset = offset + 1;
    minTime = Math.min(minTime, publishTimeMicros);
    maxTime = Math.max(maxTime, publishTimeMicros);
  }

  /** Extends the covered range to {@code end}: the offsets up to it were removed. */
  void coverUntil(long end) {
    endOffset = Math.max(endOffset, end);
  }

  void setCommittedBytes(long bytes) {
    committedBytes = bytes;
  }

  long committedBytes() {
    return committedBytes;
  }

  /** The number of records stored. */
  int count() {
    return count;
  }

  /** One past the last offset this segment covers (stored or removed). */
  long endOffset() {
    return endOffset;
  }

  /** The offset of record {@code index}. */
  long offsetAt(int index) {
    return deltas == null ? baseOffset + index : baseOffset + deltas[index];
  }

  /**
   * The index of the first record whose offset is at least {@code offset}; {@link #count()} if
   * none.
   */
  int indexOf(long offset) {
    if (deltas == null) {
      return (int) Math.min(count, Math.max(0, offset - baseOffset));
    }
    long delta = offset - baseOffset;
    if (delta <= 0) {
      return 0;
    }
    if (delta > Integer.MAX_VALUE) {
      return count;
    }
    int found = Arrays.binarySearch(deltas, 0, count, (int) delta);
    return found >= 0 ? found : -found - 1;
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
