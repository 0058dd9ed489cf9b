package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import com.google.pubsub.v1.PubsubMessage;
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

  /** Random messages (data, attributes, ordering keys, empty parts) round-trip exactly. */
  @Test
  void readsBackAsTheMessageWithTheBrokersIdAndTime() throws Exception {
    long seed = Long.getLong("eventflow.test.seed", System.nanoTime());
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < 2_000; i++) {
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
}
