package io.eventflow.publisher;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes Pub/Sub {@code Publish} requests in the same bytes protobuf writes, for less CPU; {@link
 * #interceptor()} puts it on the client's channel.
 *
 * <p>Why: protobuf-java writes a {@code map<string, string>} entry by building a {@code MapEntry}
 * message for it, sizing it and encoding its strings a character at a time, twice per request (once
 * for the size, once for the bytes). Every event carries six attributes, so at ~240,000 events/s
 * the client's batching thread spent 37% of the collector's profile samples in {@code
 * PubsubMessage.writeTo} (docs/BENCHMARKS.md, "The batch path's CPU"). Here each string is encoded
 * once, with the JDK's intrinsic UTF-8 encoder, straight into one array.
 *
 * <p>A message with anything else set (a message id, a publish time, unknown fields) is written by
 * protobuf itself, as is a request with unknown fields, so every request is written exactly as
 * protobuf writes it.
 */
final class PublishRequestMarshaller implements MethodDescriptor.Marshaller<PublishRequest> {
  /** The method whose requests this writes. */
  static final String PUBLISH =
      MethodDescriptor.generateFullMethodName("google.pubsub.v1.Publisher", "Publish");

  private static final int TOPIC_TAG = lengthDelimitedTag(PublishRequest.TOPIC_FIELD_NUMBER);
  private static final int MESSAGES_TAG = lengthDelimitedTag(PublishRequest.MESSAGES_FIELD_NUMBER);
  private static final int DATA_TAG = lengthDelimitedTag(PubsubMessage.DATA_FIELD_NUMBER);
  private static final int ATTRIBUTES_TAG =
      lengthDelimitedTag(PubsubMessage.ATTRIBUTES_FIELD_NUMBER);
  private static final int ORDERING_KEY_TAG =
      lengthDelimitedTag(PubsubMessage.ORDERING_KEY_FIELD_NUMBER);
  // A map entry is a message with the key as field 1 and the value as field 2.
  private static final int KEY_TAG = lengthDelimitedTag(1);
  private static final int VALUE_TAG = lengthDelimitedTag(2);

  private final MethodDescriptor.Marshaller<PublishRequest> protobuf;

  PublishRequestMarshaller(MethodDescriptor.Marshaller<PublishRequest> protobuf) {
    this.protobuf = protobuf;
  }

  /**
   * Returns an interceptor that writes the requests of {@code Publish} calls with this marshaller
   * and leaves every other call as it is.
   */
  static ClientInterceptor interceptor() {
    return new ClientInterceptor() {
      // The client uses one descriptor for Publish: its rewritten form is kept for the next call.
      private volatile Rewritten last;

      @Override
      @SuppressWarnings("unchecked")
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        if (!method.getFullMethodName().equals(PUBLISH)) {
          return next.newCall(method, options);
        }
        Rewritten cached = last;
        if (cached == null || cached.original != method) {
          cached =
              new Rewritten(
                  method,
                  method.toBuilder(
                          new PublishRequestMarshaller(
                              (MethodDescriptor.Marshaller<PublishRequest>)
                                  method.getRequestMarshaller()),
                          method.getResponseMarshaller())
                      .build());
          last = cached;
        }
        return next.newCall((MethodDescriptor<ReqT, RespT>) cached.rewritten, options);
      }
    };
  }

  /** A Publish descriptor and its copy with this marshaller. */
  private record Rewritten(MethodDescriptor<?, ?> original, MethodDescriptor<?, ?> rewritten) {}

  @Override
  public InputStream stream(PublishRequest request) {
    return new Bytes(toByteArray(request));
  }

  @Override
  public PublishRequest parse(InputStream stream) {
    return protobuf.parse(stream);
  }

  /** Returns the request's bytes: the same as {@code request.toByteArray()}. */
  static byte[] toByteArray(PublishRequest request) {
    if (!request.getUnknownFields().asMap().isEmpty()) {
      return request.toByteArray();
    }
    int count = request.getMessagesCount();
    Encoded[] messages = new Encoded[count];
    byte[] topic = utf8(request.getTopic());
    int size = topic.length == 0 ? 0 : stringSize(TOPIC_TAG, topic);
    for (int i = 0; i < count; i++) {
      messages[i] = Encoded.of(request.getMessages(i));
      size += fieldSize(MESSAGES_TAG, messages[i].size);
    }
    byte[] bytes = new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      if (topic.length > 0) {
        writeString(out, TOPIC_TAG, topic);
      }
      for (Encoded message : messages) {
        out.writeUInt32NoTag(MESSAGES_TAG);
        out.writeUInt32NoTag(message.size);
        message.writeTo(out);
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // an array of the computed size does not run out
    }
    return bytes;
  }

  /** One message with its strings encoded and its size known, ready to be written. */
  private static final class Encoded {
    final PubsubMessage message;
    final byte[][] attributes; // key, value, key, value...; null when protobuf writes the message
    final byte[] orderingKey;
    final int size;

    private Encoded(PubsubMessage message, byte[][] attributes, byte[] orderingKey, int size) {
      this.message = message;
      this.attributes = attributes;
      this.orderingKey = orderingKey;
      this.size = size;
    }

    static Encoded of(PubsubMessage message) {
      if (!message.getMessageId().isEmpty()
          || message.hasPublishTime()
          || !message.getUnknownFields().asMap().isEmpty()) {
        return new Encoded(message, null, null, message.getSerializedSize());
      }
      ByteString data = message.getData();
      int size = data.isEmpty() ? 0 : fieldSize(DATA_TAG, data.size());
      Map<String, String> map = message.getAttributesMap();
      byte[][] attributes = new byte[map.size() * 2][];
      int i = 0;
      for (Map.Entry<String, String> entry : map.entrySet()) {
        byte[] key = utf8(entry.getKey());
        byte[] value = utf8(entry.getValue());
        attributes[i++] = key;
        attributes[i++] = value;
        size += fieldSize(ATTRIBUTES_TAG, entrySize(key, value));
      }
      byte[] orderingKey = utf8(message.getOrderingKey());
      if (orderingKey.length > 0) {
        size += stringSize(ORDERING_KEY_TAG, orderingKey);
      }
      return new Encoded(message, attributes, orderingKey, size);
    }

    /** Writes the message's fields in protobuf's order: data, attributes, ordering key. */
    void writeTo(CodedOutputStream out) throws IOException {
      if (attributes == null) {
        message.writeTo(out);
        return;
      }
      ByteString data = message.getData();
      if (!data.isEmpty()) {
        out.writeBytes(PubsubMessage.DATA_FIELD_NUMBER, data);
      }
      for (int i = 0; i < attributes.length; i += 2) {
        out.writeUInt32NoTag(ATTRIBUTES_TAG);
        out.writeUInt32NoTag(entrySize(attributes[i], attributes[i + 1]));
        // protobuf writes both halves of a map entry, even an empty one.
        writeString(out, KEY_TAG, attributes[i]);
        writeString(out, VALUE_TAG, attributes[i + 1]);
      }
      if (orderingKey.length > 0) {
        writeString(out, ORDERING_KEY_TAG, orderingKey);
      }
    }
  }

  /** A field's tag: its number and the wire type of strings, bytes and messages. */
  private static int lengthDelimitedTag(int fieldNumber) {
    return fieldNumber << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  private static int entrySize(byte[] key, byte[] value) {
    return stringSize(KEY_TAG, key) + stringSize(VALUE_TAG, value);
  }

  private static int stringSize(int tag, byte[] utf8) {
    return fieldSize(tag, utf8.length);
  }

  private static int fieldSize(int tag, int length) {
    return CodedOutputStream.computeUInt32SizeNoTag(tag)
        + CodedOutputStream.computeUInt32SizeNoTag(length)
        + length;
  }

  private static void writeString(CodedOutputStream out, int tag, byte[] utf8) throws IOException {
    out.writeUInt32NoTag(tag);
    out.writeUInt32NoTag(utf8.length);
    out.writeRawBytes(utf8);
  }

  /**
   * The JDK's encoder writes an unpaired surrogate as {@code ?}, as protobuf does, so the bytes are
   * protobuf's for every string.
   */
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The request's bytes, with their length known to gRPC's framer and drained in one copy. */
  private static final class Bytes extends ByteArrayInputStream implements KnownLength, Drainable {
    Bytes(byte[] bytes) {
      super(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }
}
