package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A Publish request read off the wire is the request, with each message's own bytes. */
class WirePublishTest {

  @Test
  void readsTheRequestAndEachMessagesBytes() throws Exception {
    long seed = Long.getLong("eventflow.test.seed", System.nanoTime());
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < 200; i++) {
      PublishRequest.Builder request =
          PublishRequest.newBuilder().setTopic("projects/p/topics/t" + i);
      for (int m = random.nextInt(20); m > 0; m--) {
        request.addMessages(StoredMessagesTest.randomMessage(random));
      }

      WirePublish read = WirePublish.parse(request.build().toByteArray());

      assertThat(read.request()).as("seed %d", seed).isEqualTo(request.build());
      assertThat(read.messages()).hasSize(request.getMessagesCount());
      for (int m = 0; m < request.getMessagesCount(); m++) {
        assertThat(read.messages().get(m)).isEqualTo(request.getMessages(m).toByteString());
      }
    }
  }

  /**
   * A message left undecoded (checked on its bytes) passes every check the broker makes on a
   * decoded one and has no ordering key; random messages, some over a limit, some with an ordering
   * key, some empty.
   */
  @Test
  void aMessageCheckedOnItsBytesPassesTheBrokersChecks() throws Exception {
    long seed = Long.getLong("eventflow.test.seed", System.nanoTime());
    SplittableRandom random = new SplittableRandom(seed);
    int plain = 0;
    for (int i = 0; i < 2_000; i++) {
      PubsubMessage message = StoredMessagesTest.randomMessage(random);
      if (random.nextInt(4) == 0) {
        message = overALimit(message, random.nextInt(5));
      }
      byte[] request =
          PublishRequest.newBuilder()
              .setTopic("projects/p/topics/t")
              .addMessages(message)
              .build()
              .toByteArray();

      WirePublish read = WirePublish.parse(request);

      if (read.decoded().get(0) == null) {
        plain++;
        PubsubMessage checked = message;
        assertThatCode(() -> BrokerEngine.checkMessage(checked))
            .as("seed %d message %d", seed, i)
            .doesNotThrowAnyException();
        assertThat(message.getOrderingKey()).isEmpty();
      } else {
        assertThat(read.decoded().get(0)).isEqualTo(message);
      }
    }
    assertThat(plain).as("messages checked on their bytes, seed %d", seed).isPositive();
  }

  /** A message breaking one of Pub/Sub's rules is decoded, for the broker to answer its error. */
  @Test
  void aMessageOverALimitIsDecoded() throws Exception {
    PubsubMessage fine =
        PubsubMessage.newBuilder()
            .setData(ByteString.copyFromUtf8("x"))
            .putAttributes("k".repeat(BrokerEngine.MAX_ATTRIBUTE_KEY_BYTES), "v".repeat(1024))
            .build();
    assertThat(WirePublish.parse(request(fine)).decoded()).containsExactly((PubsubMessage) null);

    for (int limit = 0; limit < 5; limit++) {
      PubsubMessage over = overALimit(fine, limit);
      assertThat(WirePublish.parse(request(over)).decoded())
          .as("limit %d", limit)
          .containsExactly(over);
    }
    PubsubMessage empty = PubsubMessage.getDefaultInstance();
    assertThat(WirePublish.parse(request(empty)).decoded()).containsExactly(empty);
  }

  /** {@code message} made to break one rule: 0-4 are key, goog, value, count, ordering key. */
  private static PubsubMessage overALimit(PubsubMessage message, int rule) {
    PubsubMessage.Builder over = message.toBuilder();
    switch (rule) {
      case 0 -> over.putAttributes("k".repeat(BrokerEngine.MAX_ATTRIBUTE_KEY_BYTES + 1), "v");
      case 1 -> over.putAttributes("google", "v");
      case 2 -> over.putAttributes("k", "é".repeat(BrokerEngine.MAX_ATTRIBUTE_VALUE_BYTES / 2 + 1));
      case 3 -> {
        for (int a = 0; a <= BrokerEngine.MAX_ATTRIBUTES; a++) {
          over.putAttributes("many-" + a, "v");
        }
      }
      default -> over.setOrderingKey("key");
    }
    return over.build();
  }

  private static byte[] request(PubsubMessage message) {
    return PublishRequest.newBuilder()
        .setTopic("projects/p/topics/t")
        .addMessages(message)
        .build()
        .toByteArray();
  }

  /** Fields a newer API might add are skipped, as a generated parser keeps them aside. */
  @Test
  void skipsFieldsItDoesNotKnow() throws Exception {
    PublishRequest request =
        PublishRequest.newBuilder()
            .setTopic("projects/p/topics/t")
            .addMessages(
                StoredMessagesTest.randomMessage(new SplittableRandom(1)).toBuilder()
                    .setData(ByteString.copyFromUtf8("x")))
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(9, UnknownFieldSet.Field.newBuilder().addVarint(42).build())
                    .build())
            .build();

    WirePublish read = WirePublish.parse(request.toByteArray());

    assertThat(read.request())
        .isEqualTo(
            request.toBuilder().setUnknownFields(UnknownFieldSet.getDefaultInstance()).build());
    assertThat(read.messages()).containsExactly(request.getMessages(0).toByteString());
  }

  @Test
  void refusesBytesThatAreNoRequest() {
    byte[] request =
        PublishRequest.newBuilder()
            .setTopic("projects/p/topics/t")
            .addMessages(StoredMessagesTest.randomMessage(new SplittableRandom(2)))
            .build()
            .toByteArray();

    assertThatThrownBy(() -> WirePublish.parse(Arrays.copyOf(request, request.length - 1)))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> WirePublish.parse(new byte[] {0x12, 0x05, 0x0a}))
        .as("a message longer than the bytes left")
        .isInstanceOf(IOException.class);
  }
}
