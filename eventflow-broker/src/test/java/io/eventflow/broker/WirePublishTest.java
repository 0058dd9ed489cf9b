package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.google.pubsub.v1.PublishRequest;
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
