package io.eventflow.mqtt;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.UUID;

/**
 * Event ids for device messages that carry none, derived from what a redelivery repeats exactly, so
 * that ingest's deduplication by id drops the copy an MQTT broker redelivers after a crash.
 *
 * <p>The id is a UUIDv8 (RFC 9562 §5.8, the custom-layout version; its Appendix B.2 shows this
 * name-based SHA-256 use) made of the first 122 bits of SHA-256 over the topic, the payload and the
 * MQTT 5 correlation data, each length-prefixed so that no two different triples hash the same
 * input. The MQTT 5 message expiry interval is deliberately left out: a broker sends the remaining
 * lifetime, lower on a redelivery than on the first delivery (MQTT 5.0 §3.3.2.3.3), so including it
 * would give the redelivered copy a new id and count it twice.
 *
 * <p>The consequence for devices: two distinct messages with the same topic, payload and
 * correlation data get the same id and are counted once. A device that can send the same bytes
 * twice on purpose (a counter tick {@code {"count":1}}, a repeated reading) must make them differ:
 * its own {@code id}, a {@code timestamp} or a sequence number in the payload, or MQTT 5
 * correlation data.
 */
public final class DeterministicIds {
  /**
   * One digest per thread, reset by each {@code digest()}: looking SHA-256 up through the security
   * providers for every message cost 5% of the bridge's dispatch thread (docs/BENCHMARKS.md).
   */
  private static final ThreadLocal<MessageDigest> SHA_256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("every Java platform must provide SHA-256", e);
            }
          });

  private DeterministicIds() {}

  /** Returns the id of a message without one. */
  public static String idOf(String topic, byte[] payload, Optional<byte[]> correlationData) {
    MessageDigest sha256 = SHA_256.get();
    sha256.reset(); // in case an earlier call failed halfway
    byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
    update(sha256, topicBytes);
    update(sha256, payload);
    // Absent and empty correlation data differ: -1 marks absent.
    if (correlationData.isPresent()) {
      update(sha256, correlationData.get());
    } else {
      sha256.update(ByteBuffer.allocate(4).putInt(-1).array());
    }
    ByteBuffer hash = ByteBuffer.wrap(sha256.digest());
    long high = hash.getLong();
    long low = hash.getLong();
    // Version 8 in bits 48-51, variant 10 in bits 64-65 (RFC 9562 §4.1, §4.2).
    high = (high & ~0xF000L) | 0x8000L;
    low = (low & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }

  private static void update(MessageDigest digest, byte[] bytes) {
    digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
    digest.update(bytes);
  }
}
