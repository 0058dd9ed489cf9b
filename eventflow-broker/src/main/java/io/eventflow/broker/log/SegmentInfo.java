package io.eventflow.broker.log;

/**
 * What retention and compaction need to know about one segment.
 *
 * @param baseOffset the first offset the segment covers
 * @param endOffset one past the last offset it covers; compaction may have removed some of the
 *     offsets in between, so it holds {@code records} of them
 * @param minPublishTimeMicros the earliest publish time in it ({@code Long.MAX_VALUE} if empty)
 * @param maxPublishTimeMicros the latest publish time in it ({@code Long.MIN_VALUE} if empty)
 * @param bytes the committed size in bytes
 * @param records the records stored in it
 * @param active whether appends still go to this segment
 */
public record SegmentInfo(
    long baseOffset,
    long endOffset,
    long minPublishTimeMicros,
    long maxPublishTimeMicros,
    long bytes,
    int records,
    boolean active) {}
