package io.eventflow.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UnknownFieldSet;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PublishRequestMarshallerTest {
  private static final String TOPIC = "projects/demo/topics/events";

  /** Protobuf's own reading, for the marshaller to delegate to. */
  private static final MethodDescriptor.Marshaller<PublishRequest> PROTOBUF =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(PublishRequest request) {
          return request.toByteString().newInput();
        }

        @Override
        public PublishRequest parse(InputStream stream) {
          try {
            return PublishRequest.parseFrom(stream);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      };

  private static PubsubMessage.Builder event(String id) {
    return PubsubMessage.newBuilder()
        .setData(ByteString.copyFromUtf8("payload of " + id))
        .putAttributes("event.id", id)
        .putAttributes("event.timestamp", "2026-03-01T12:00:00Z")
        .putAttributes("event.type", "purchase")
        .putAttributes("event.source", "test-service")
        .putAttributes("content-type", "application/protobuf");
  }

  private static void assertWrittenAsProtobufDoes(PublishRequest request) throws Exception {
    assertThat(PublishRequestMarshaller.toByteArray(request)).isEqualTo(request.toByteArray());
    MethodDescriptor.Marshaller<PublishRequest> marshaller = new PublishRequestMarshaller(PROTOBUF);
    ByteArrayOutputStream drained = new ByteArrayOutputStream();
    try (InputStream stream = marshaller.stream(request)) {
      assertThat(stream.available()).isEqualTo(request.getSerializedSize());
      stream.transferTo(drained);
    }
    // (Not the request itself: protobuf writes an unpaired surrogate as '?'.)
    assertThat(marshaller.parse(new java.io.ByteArrayInputStream(drained.toByteArray())))
        .isEqualTo(PublishRequest.parseFrom(request.toByteArray()));
  }

  @Test
  void writesABatchOfEventsInProtobufsBytes() throws Exception {
    PublishRequest.Builder request = PublishRequest.newBuilder().setTopic(TOPIC);
    for (int i = 0; i < 100; i++) {
      request.addMessages(event("event-" + i).putAttributes("event.customer", "customer-" + i));
    }
    assertWrittenAsProtobufDoes(request.build());
  }

  @Test
  void writesNonAsciiEmptyAndUnpairedSurrogateStringsAsProtobufDoes() throws Exception {
    assertWrittenAsProtobufDoes(
        PublishRequest.newBuilder()
            .setTopic(TOPIC)
            .addMessages(
                PubsubMessage.newBuilder()
                    .putAttributes("", "")
                    .putAttributes("ключ", "значение €𝄞")
                    .putAttributes("half", "a\uD800b")
                    .setOrderingKey("customer-\uDC00"))
            .addMessages(PubsubMessage.newBuilder().setData(ByteString.copyFrom(new byte[300])))
            .addMessages(PubsubMessage.getDefaultInstance())
            .build());
  }

  @Test
  void leavesMessagesWithFieldsItDoesNotWriteToProtobuf() throws Exception {
    UnknownFieldSet unknown =
        UnknownFieldSet.newBuilder()
            .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(7).build())
            .build();
    assertWrittenAsProtobufDoes(
        PublishRequest.newBuilder()
            .setTopic(TOPIC)
            .addMessages(event("with-id").setMessageId("m-1"))
            .addMessages(event("with-time").setPublishTime(Timestamp.newBuilder().setSeconds(5)))
            .addMessages(event("with-unknown").setUnknownFields(unknown))
            .addMessages(event("plain"))
            .build());
    assertWrittenAsProtobufDoes(
        PublishRequest.newBuilder().addMessages(event("x")).setUnknownFields(unknown).build());
  }

  @Test
  void writesRandomRequestsAsProtobufDoes() throws Exception {
    Random random = new Random(42);
    for (int n = 0; n < 200; n++) {
      PublishRequest.Builder request = PublishRequest.newBuilder();
      if (random.nextBoolean()) {
        request.setTopic(randomString(random));
      }
      for (int m = random.nextInt(5); m > 0; m--) {
        PubsubMessage.Builder message = PubsubMessage.newBuilder();
        byte[] data = new byte[random.nextInt(3) == 0 ? 0 : random.nextInt(200)];
        random.nextBytes(data);
        message.setData(ByteString.copyFrom(data));
        for (int a = random.nextInt(8); a > 0; a--) {
          message.putAttributes(randomString(random), randomString(random));
        }
        if (random.nextInt(4) == 0) {
          message.setOrderingKey(randomString(random));
        }
        request.addMessages(message);
      }
      assertWrittenAsProtobufDoes(request.build());
    }
  }

  /** Strings of any UTF-16 units, surrogates alone and in pairs, up to 200 long. */
  private static String randomString(Random random) {
    char[] chars = new char[random.nextInt(3) == 0 ? 0 : random.nextInt(200)];
    for (int i = 0; i < chars.length; i++) {
      chars[i] =
          switch (random.nextInt(4)) {
            case 0 -> (char) random.nextInt(0x80);
            case 1 -> (char) random.nextInt(0x800);
            case 2 -> (char) (0xD800 + random.nextInt(0x800));
            default -> (char) random.nextInt(0x10000);
          };
    }
    return new String(chars);
  }
}
