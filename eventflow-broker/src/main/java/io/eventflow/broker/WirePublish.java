package io.eventflow.broker;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublishResponse;
import com.google.pubsub.v1.PublisherGrpc;
import com.google.pubsub.v1.PubsubMessage;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A Publish request as the broker reads it off the wire: parsed, and with each message's own bytes,
 * which the log keeps as they came ({@link StoredMessages#bytes}) instead of encoding the parsed
 * message again. {@code messages.get(i)} are the bytes of {@code request.getMessages(i)}.
 */
record WirePublish(PublishRequest request, List<ByteString> messages) {
  private static final int TOPIC_TAG = lengthDelimited(PublishRequest.TOPIC_FIELD_NUMBER);
  private static final int MESSAGES_TAG = lengthDelimited(PublishRequest.MESSAGES_FIELD_NUMBER);

  /** {@code google.pubsub.v1.Publisher/Publish}, with requests read as {@link WirePublish}. */
  static final MethodDescriptor<WirePublish, PublishResponse> METHOD =
      PublisherGrpc.getPublishMethod().toBuilder(
              new Marshaller(), PublisherGrpc.getPublishMethod().getResponseMarshaller())
          .build();

  /** Reads a request field by field, parsing each message from its own slice of the bytes. */
  static WirePublish parse(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    PublishRequest.Builder request = PublishRequest.newBuilder();
    List<ByteString> messages = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (tag == MESSAGES_TAG) {
        int length = in.readRawVarint32();
        int start = in.getTotalBytesRead();
        in.skipRawBytes(length); // Throws on a negative or truncated length.
        ByteString wire = UnsafeByteOperations.unsafeWrap(bytes, start, length);
        request.addMessages(PubsubMessage.parseFrom(wire));
        messages.add(wire);
      } else if (tag == TOPIC_TAG) {
        request.setTopic(in.readStringRequireUtf8());
      } else {
        in.skipField(tag); // A field this version of the API does not have, as a parser would.
      }
    }
    return new WirePublish(request.build(), messages);
  }

  /** The tag of a length-delimited field (protobuf's own {@code makeTag} is not public). */
  private static int lengthDelimited(int field) {
    return field << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  private static final class Marshaller implements MethodDescriptor.Marshaller<WirePublish> {
    @Override
    public InputStream stream(WirePublish value) {
      return value.request().toByteString().newInput();
    }

    @Override
    public WirePublish parse(InputStream stream) {
      try {
        return WirePublish.parse(stream.readAllBytes());
      } catch (IOException e) {
        // What grpc-java's protobuf marshaller answers for bytes that are not the message.
        throw Status.INTERNAL
            .withDescription("Invalid protobuf byte sequence")
            .withCause(e)
            .asRuntimeException();
      }
    }
  }
}
