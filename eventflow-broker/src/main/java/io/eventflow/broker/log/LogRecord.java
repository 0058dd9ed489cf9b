package io.eventflow.broker.log;

/**
 * One record read back from a {@link SegmentedLog}.
 *
 * @param offset the record's position in its log, dense from 0
 * @param publishTimeMicros when the log accepted it, microseconds since the epoch
 * @param payload the bytes the appender encoded
 */
public record LogRecord(long offset, long publishTimeMicros, byte[] payload) {}
