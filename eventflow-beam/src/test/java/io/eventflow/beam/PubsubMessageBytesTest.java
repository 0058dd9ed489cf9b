package io.eventflow.beam;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PubsubMessageBytesTest {
  /**
   * Random data and attributes (none, empty values, multi-byte characters): the bytes are those
   * protobuf writes for the same message, so every reader decodes the same message.
   */
  @Test
  void encodesAMessageAsProtobufDoes() throws Exception {
    for (long seed = 0; seed < 500; seed++) {
      Random random = new Random(seed);
      byte[] data = new byte[random.nextInt(3) == 0 ? 0 : random.nextInt(300)];
      random.nextBytes(data);
      Map<String, String> attributes = attributes(random);

      ByteString encoded = PubsubMessageBytes.encode(data, attributes);

      PubsubMessage expected =
          PubsubMessage.newBuilder()
              .setData(ByteString.copyFrom(data))
              .putAllAttributes(attributes)
              .build();
      assertThat(encoded.toByteArray()).as("seed %d", seed).isEqualTo(expected.toByteArray());
      assertThat(PubsubMessage.parseFrom(encoded)).as("seed %d", seed).isEqualTo(expected);
    }
  }

  @Test
  void encodesAMessageWithoutAttributes() throws Exception {
    byte[] data = {1, 2, 3};

    assertThat(PubsubMessage.parseFrom(PubsubMessageBytes.encode(data, null)))
        .isEqualTo(PubsubMessage.newBuilder().setData(ByteString.copyFrom(data)).build());
  }

  /** A request of encoded messages reads back, on the wire, as the request with those messages. */
  @Test
  void requestCarriesTheEncodedMessagesInOrder() throws Exception {
    Random random = new Random(7);
    List<ByteString> encoded = new ArrayList<>();
    PublishRequest.Builder expected = PublishRequest.newBuilder().setTopic("projects/p/topics/t");
    for (int i = 0; i < 20; i++) {
      Map<String, String> attributes = attributes(random);
      byte[] data = ("payload-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      encoded.add(PubsubMessageBytes.encode(data, attributes));
      expected.addMessages(
          PubsubMessage.newBuilder()
              .setData(ByteString.copyFrom(data))
              .putAllAttributes(attributes));
    }

    PublishRequest request = PubsubMessageBytes.request("projects/p/topics/t", encoded);

    assertThat(PublishRequest.parseFrom(request.toByteArray())).isEqualTo(expected.build());
  }

  private static Map<String, String> attributes(Random random) {
    Map<String, String> attributes = new LinkedHashMap<>();
    int count = random.nextInt(8);
    for (int i = 0; i < count; i++) {
      attributes.put("key-" + i + text(random, 3), text(random, 40));
    }
    return attributes;
  }

  private static String text(Random random, int maxLength) {
    String alphabet = "abcXYZ09 -_é€\uD83D\uDE00";
    StringBuilder text = new StringBuilder();
    int length = random.nextInt(maxLength + 1);
    while (text.length() < length) {
      int i = random.nextInt(alphabet.length());
      char c = alphabet.charAt(i);
      if (Character.isHighSurrogate(c)) {
        text.append(c).append(alphabet.charAt(i + 1));
      } else if (!Character.isLowSurrogate(c)) {
        text.append(c);
      }
    }
    return text.toString();
  }
}
