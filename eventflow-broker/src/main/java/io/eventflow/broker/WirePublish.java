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
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A Publish request as the broker reads it off the wire: its topic and each message's own bytes,
 * which the log keeps as they came ({@link StoredMessages#bytes}) instead of encoding the parsed
 * message again.
 *
 * <p>A message holding only data and attributes within Pub/Sub's limits (what every publisher in
 * eventflow sends) is checked field by field on its bytes and never decoded: {@code decoded.get(i)}
 * is then null. Any other message (an ordering key, a message id, a field this version does not
 * know, an attribute over a limit, bytes that are no message) is decoded, and the broker checks it
 * as before, so its answer, an error included, is the same. Decoding built a map entry object and
 * two strings per attribute; with the checks on the decoded message that was 5% of the local
 * stack's CPU at 20,000 events/s (JFR).
 *
 * @param topic the request's topic
 * @param messages each message's bytes, in request order
 * @param decoded each message decoded, or null where its bytes were checked instead
 */
record WirePublish(String topic, List<ByteString> messages, List<@Nullable PubsubMessage> decoded) {
  private static final int TOPIC_TAG = lengthDelimited(PublishRequest.TOPIC_FIELD_NUMBER);
  private static final int MESSAGES_TAG = lengthDelimited(PublishRequest.MESSAGES_FIELD_NUMBER);
  private static final int DATA_TAG = lengthDelimited(PubsubMessage.DATA_FIELD_NUMBER);
  private static final int ATTRIBUTES_TAG = lengthDelimited(PubsubMessage.ATTRIBUTES_FIELD_NUMBER);
  private static final int ENTRY_KEY_TAG = lengthDelimited(1);
  private static final int ENTRY_VALUE_TAG = lengthDelimited(2);

  /** {@code google.pubsub.v1.Publisher/Publish}, with requests read as {@link WirePublish}. */
  static final MethodDescriptor<WirePublish, PublishResponse> METHOD =
      PublisherGrpc.getPublishMethod().toBuilder(
              new Marshaller(), PublisherGrpc.getPublishMethod().getResponseMarshaller())
          .build();

  /**
   * Reads a request field by field, checking or decoding each message from its own slice of the
   * bytes.
   */
  static WirePublish parse(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    String topic = "";
    List<ByteString> messages = new ArrayList<>();
    List<@Nullable PubsubMessage> decoded = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (tag == MESSAGES_TAG) {
        int length = in.readRawVarint32();
        int start = in.getTotalBytesRead();
        in.skipRawBytes(length); // Throws on a negative or truncated length.
        ByteString wire = UnsafeByteOperations.unsafeWrap(bytes, start, length);
        messages.add(wire);
        decoded.add(isPlain(bytes, start, length) ? null : PubsubMessage.parseFrom(wire));
      } else if (tag == TOPIC_TAG) {
        topic = in.readStringRequireUtf8();
      } else {
        in.skipField(tag); // A field this version of the API does not have, as a parser would.
      }
    }
    return new WirePublish(topic, messages, decoded);
  }

  /** The request as protobuf's generated parser reads it (every message decoded). */
  PublishRequest request() throws IOException {
    PublishRequest.Builder request = PublishRequest.newBuilder().setTopic(topic);
    for (int i = 0; i < messages.size(); i++) {
      PubsubMessage message = decoded.get(i);
      request.addMessages(message != null ? message : PubsubMessage.parseFrom(messages.get(i)));
    }
    return request.build();
  }

  /**
   * Whether the message in {@code bytes[offset, offset + length)} has data or attributes and
   * nothing else, data at most once, at most {@link BrokerEngine#MAX_ATTRIBUTES} attribute entries,
   * each a key and a value, once each, in valid UTF-8 (as a parser requires), the key of 1 to
   * {@link BrokerEngine#MAX_ATTRIBUTE_KEY_BYTES} bytes not starting with {@code goog}, the value of
   * at most {@link BrokerEngine#MAX_ATTRIBUTE_VALUE_BYTES}: then the broker's checks of the decoded
   * message pass (a key given twice only lowers the count), and it has no ordering key, message id
   * or publish time. False for anything else, malformed bytes included, which are then decoded.
   */
  static boolean isPlain(byte[] bytes, int offset, int length) {
    CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
    boolean data = false;
    boolean empty = true;
    int attributes = 0;
    try {
      int tag;
      while ((tag = in.readTag()) != 0) {
        if (tag == DATA_TAG && !data) {
          data = true;
          int size = in.readRawVarint32();
          empty &= size == 0;
          in.skipRawBytes(size);
        } else if (tag == ATTRIBUTES_TAG && ++attributes <= BrokerEngine.MAX_ATTRIBUTES) {
          int entry = in.pushLimit(in.readRawVarint32());
          if (!isPlainAttribute(in, bytes, offset)) {
            return false;
          }
          in.popLimit(entry);
          empty = false;
        } else {
          return false;
        }
      }
      return !empty;
    } catch (IOException e) {
      return false;
    }
  }

  /** Reads one attribute entry up to the stream's limit; whether it is within the limits. */
  private static boolean isPlainAttribute(CodedInputStream in, byte[] bytes, int offset)
      throws IOException {
    boolean key = false;
    boolean value = false;
    int tag;
    while ((tag = in.readTag()) != 0) {
      int size = in.readRawVarint32();
      if (size < 0 || size > in.getBytesUntilLimit()) {
        return false;
      }
      int at = offset + in.getTotalBytesRead();
      if (tag == ENTRY_KEY_TAG && !key) {
        key = true;
        if (size == 0
            || size > BrokerEngine.MAX_ATTRIBUTE_KEY_BYTES
            || startsWithGoog(bytes, at, size)
            || !isUtf8(bytes, at, size)) {
          return false;
        }
      } else if (tag == ENTRY_VALUE_TAG && !value) {
        value = true;
        if (size > BrokerEngine.MAX_ATTRIBUTE_VALUE_BYTES || !isUtf8(bytes, at, size)) {
          return false;
        }
      } else {
        return false;
      }
      in.skipRawBytes(size);
    }
    return key;
  }

  private static boolean startsWithGoog(byte[] bytes, int at, int size) {
    return size >= 4
        && bytes[at] == 'g'
        && bytes[at + 1] == 'o'
        && bytes[at + 2] == 'o'
        && bytes[at + 3] == 'g';
  }

  private static boolean isUtf8(byte[] bytes, int at, int size) {
    for (int i = at; i < at + size; i++) {
      if (bytes[i] < 0) {
        return UnsafeByteOperations.unsafeWrap(bytes, at, size).isValidUtf8();
      }
    }
    return true; // ASCII
  }

  /** The tag of a length-delimited field (protobuf's own {@code makeTag} is not public). */
  private static int lengthDelimited(int field) {
    return field << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  private static final class Marshaller implements MethodDescriptor.Marshaller<WirePublish> {
    @Override
    public InputStream stream(WirePublish value) {
      try {
        return value.request().toByteString().newInput();
      } catch (IOException e) {
        throw new IllegalStateException("a message read off the wire no longer decodes", e);
      }
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
