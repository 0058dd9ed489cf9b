package io.eventflow.broker.log;

/**
 * What retention needs to know about one segment.
 *
 * @param baseOffset the first offset in the segment
 * @param endOffset one past the last committed offset in the segment
 * @param minPublishTimeMicros the earliest publish time in it ({@code Long.MAX_VALUE} if empty)
 * @param maxPublishTimeMicros the latest publish time in it ({@code Long.MIN_VALUE} if empty)
 * @param bytes the committed size in bytes
 * @param active whether appends still go to this segment
 */
public record SegmentInfo(
    long baseOffset,
    long endOffset,
    long minPublishTimeMicros,
    long maxPublishTimeMicros,
    long bytes,
    boolean active) {}
