package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** What the log keeps for a message reads back as the message with the broker's id and time. */
class StoredMessagesTest {
  private static final long MICROS = 1_764_000_000_123_456L;

  private static PubsubMessage expected(PubsubMessage message, long offset) {
    return message.toBuilder()
        .setMessageId(Long.toString(offset))
        .setPublishTime(Micros.toTimestamp(MICROS))
        .build();
  }

  /** A message with random data (sometimes none), attributes and ordering key. */
  static PubsubMessage randomMessage(SplittableRandom random) {
    PubsubMessage.Builder message = PubsubMessage.newBuilder();
    byte[] data = new byte[random.nextInt(3) == 0 ? 0 : random.nextInt(600)];
    random.nextBytes(data);
    message.setData(ByteString.copyFrom(data));
    for (int a = random.nextInt(8); a > 0; a--) {
      message.putAttributes("k" + random.nextInt(100), "v" + random.nextLong());
    }
    if (random.nextBoolean()) {
      message.setOrderingKey("key-" + random.nextInt(10));
    }
    return message.build();
  }

  /** Random messages (data, attributes, ordering keys, empty parts) round-trip exactly. */
  @Test
  void readsBackAsTheMessageWithTheBrokersIdAndTime() throws Exception {
    long seed = Long.getLong("eventflow.test.seed", System.nanoTime());
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < 2_000; i++) {
      PubsubMessage.Builder message = randomMessage(random).toBuilder();
      long offset = random.nextLong(0, Long.MAX_VALUE);

      byte[] stored = StoredMessages.bytes(message.build(), offset, MICROS);

      assertThat(PubsubMessage.parseFrom(stored))
          .as("seed %d message %d", seed, i)
          .isEqualTo(expected(message.build(), offset));
    }
  }

  /**
   * A publisher's own message id and publish time are replaced, not merged: a publish time with
   * nanos the broker's lacks would otherwise keep them.
   */
  @Test
  void replacesWhatThePublisherPutInTheBrokersFields() throws Exception {
    PubsubMessage message =
        PubsubMessage.newBuilder()
            .setData(ByteString.copyFromUtf8("x"))
            .setMessageId("client-chosen")
            .setPublishTime(Timestamp.newBuilder().setSeconds(5).setNanos(999))
            .build();
    PubsubMessage noNanos =
        PubsubMessage.newBuilder()
            .setData(ByteString.copyFromUtf8("y"))
            .setPublishTime(Timestamp.newBuilder().setNanos(7))
            .build();

    assertThat(PubsubMessage.parseFrom(StoredMessages.bytes(message, 42, MICROS)))
        .isEqualTo(expected(message, 42));
    assertThat(PubsubMessage.parseFrom(StoredMessages.bytes(noNanos, 43, 2_000_000L)))
        .isEqualTo(
            noNanos.toBuilder()
                .setMessageId("43")
                .setPublishTime(Timestamp.newBuilder().setSeconds(2))
                .build());
  }

  /**
   * A message's bytes as published are kept as they came, whatever order the publisher wrote its
   * fields in, and read back as the message with the broker's id and time.
   */
  @Test
  void keepsTheBytesAMessageCameWith() throws Exception {
    long seed = Long.getLong("eventflow.test.seed", System.nanoTime());
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < 500; i++) {
      PubsubMessage message = randomMessage(random);
      // Fields in reverse order: valid protobuf, and not what the broker would encode itself.
      ByteString wire =
          PubsubMessage.newBuilder()
              .setOrderingKey(message.getOrderingKey())
              .build()
              .toByteString()
              .concat(
                  PubsubMessage.newBuilder()
                      .putAllAttributes(message.getAttributesMap())
                      .build()
                      .toByteString())
              .concat(PubsubMessage.newBuilder().setData(message.getData()).build().toByteString());

      byte[] stored = StoredMessages.bytes(message, wire, 7 + i, MICROS);

      assertThat(Arrays.copyOf(stored, wire.size()))
          .as("seed %d", seed)
          .isEqualTo(wire.toByteArray());
      assertThat(PubsubMessage.parseFrom(stored))
          .as("seed %d", seed)
          .isEqualTo(expected(message, 7 + i));
    }
  }

  /**
   * A received message made from stored bytes is, on the wire, the received message with those
   * bytes decoded as its message; {@code withMessages} gives the same in the process.
   */
  @Test
  void aReceivedMessageCarriesTheStoredBytesAsItsMessage() throws Exception {
    long seed = Long.getLong("eventflow.test.seed", System.nanoTime());
    SplittableRandom random = new SplittableRandom(seed);
    PullResponse.Builder carried = PullResponse.newBuilder();
    PullResponse.Builder decoded = PullResponse.newBuilder();
    for (int i = 0; i < 50; i++) {
      byte[] stored = StoredMessages.bytes(randomMessage(random), i, MICROS);
      int attempt = random.nextInt(3);
      carried.addReceivedMessages(
          StoredMessages.received(stored).setAckId("ack-" + i).setDeliveryAttempt(attempt));
      decoded.addReceivedMessages(
          ReceivedMessage.newBuilder()
              .setAckId("ack-" + i)
              .setMessage(PubsubMessage.parseFrom(stored))
              .setDeliveryAttempt(attempt));
    }

    assertThat(PullResponse.parseFrom(carried.build().toByteArray()))
        .as("seed %d", seed)
        .isEqualTo(decoded.build());
    assertThat(StoredMessages.withMessages(carried.build())).isEqualTo(decoded.build());
  }

  /** Stored bytes are well formed; bytes no client could read as a message are not. */
  @Test
  void tellsAWellFormedMessageFromBytesNoClientCouldRead() {
    byte[] stored =
        StoredMessages.bytes(
            PubsubMessage.newBuilder()
                .setData(ByteString.copyFromUtf8("hello"))
                .putAttributes("k", "v")
                .build(),
            12,
            MICROS);

    assertThat(StoredMessages.isWellFormed(stored)).isTrue();
    assertThat(StoredMessages.isWellFormed(new byte[0])).as("no field at all").isTrue();
    assertThat(StoredMessages.isWellFormed(new byte[] {(byte) 0xFF}))
        .as("endless varint")
        .isFalse();
    assertThat(StoredMessages.isWellFormed(Arrays.copyOf(stored, stored.length - 1)))
        .as("cut inside the publish time")
        .isFalse();
    assertThat(StoredMessages.isWellFormed(new byte[] {0x08, 0x01}))
        .as("data (field 1) as a number")
        .isFalse();
    assertThat(StoredMessages.isWellFormed(new byte[] {0x30, 0x01}))
        .as("a number in a field the message does not have")
        .isTrue();
  }
}
