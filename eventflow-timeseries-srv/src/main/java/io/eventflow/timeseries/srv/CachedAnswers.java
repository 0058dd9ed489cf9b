package io.eventflow.timeseries.srv;

import com.google.protobuf.InvalidProtocolBufferException;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The bytes an answer is kept as in Redis: a format version, a CRC-32C of the answer, then the
 * serialized answer. Redis is shared and outlives a deployment, so a value is checked before it is
 * served: a value of another format (an older or newer release, another program's key), a truncated
 * one or a flipped bit is treated as a miss and overwritten, never answered.
 */
final class CachedAnswers {
  /** The format written; a reader rejects every other. */
  static final byte VERSION = 1;

  /** The version byte and the four-byte checksum. */
  private static final int HEADER = 5;

  private CachedAnswers() {}

  /** Returns the stored form of an answer. */
  static byte[] encode(GetIntervalValuesResponse answer) {
    byte[] payload = answer.toByteArray();
    ByteBuffer out = ByteBuffer.allocate(HEADER + payload.length);
    out.put(VERSION).putInt(checksum(payload, 0, payload.length)).put(payload);
    return out.array();
  }

  /** Returns the answer stored as {@code bytes}, or null if they fail any check. */
  static GetIntervalValuesResponse decode(byte[] bytes) {
    if (bytes.length < HEADER || bytes[0] != VERSION) {
      return null;
    }
    int expected = ByteBuffer.wrap(bytes, 1, 4).getInt();
    if (checksum(bytes, HEADER, bytes.length - HEADER) != expected) {
      return null;
    }
    try {
      return GetIntervalValuesResponse.parser().parseFrom(bytes, HEADER, bytes.length - HEADER);
    } catch (InvalidProtocolBufferException e) {
      // The checksum matched but the bytes are no answer: another writer's value.
      return null;
    }
  }

  private static int checksum(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return (int) crc.getValue();
  }
}
