package io.eventflow.broker.log;

/**
 * Encodes the {@code index}-th record of an append once the log has assigned its offset and time.
 */
@FunctionalInterface
public interface RecordEncoder {

  /** Returns the payload of record {@code index}, which the log stores at {@code offset}. */
  byte[] encode(int index, long offset, long publishTimeMicros);
}
