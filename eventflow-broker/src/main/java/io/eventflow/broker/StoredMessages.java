package io.eventflow.broker;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.checkerframework.checker.nullness.qual.Nullable;

/** The bytes a topic's log keeps for each published message. */
public final class StoredMessages {
  private StoredMessages() {}

  /**
   * Returns {@code message} with the broker's message id ({@code offset} in decimal) and publish
   * time ({@code micros} since the epoch), encoded. When the publisher set neither (the official
   * clients never do), both fields are written after the message's own bytes, which a protobuf
   * parser reads as the same message (a later scalar field wins, and there is no earlier one): that
   * spares copying the message and its attribute map into a builder and building it again (measured
   * in {@code StoredMessageBenchmark}).
   */
  public static byte[] bytes(PubsubMessage message, long offset, long micros) {
    return bytes(message, null, offset, micros);
  }

  /**
   * As {@link #bytes(PubsubMessage, long, long)}, from {@code wire}, the message's bytes as they
   * came in a Publish request, when not null: copied as they are instead of encoding the message
   * again (its attribute map above all: protobuf builds an entry object per attribute to size it
   * and again to write it; sizing and writing were 5-6% of the local stack's CPU at 20,000
   * events/s, JFR). A null {@code message} is one read off the wire and checked on its bytes
   * ({@link WirePublish}): it has neither a message id nor a publish time, and {@code wire} is set.
   */
  public static byte[] bytes(
      @Nullable PubsubMessage message, @Nullable ByteString wire, long offset, long micros) {
    String id = Long.toString(offset);
    Timestamp publishTime = Micros.toTimestamp(micros);
    if (message == null) {
      if (wire == null) {
        throw new IllegalArgumentException("a message checked on its bytes needs those bytes");
      }
    } else if (!message.getMessageId().isEmpty() || message.hasPublishTime()) {
      // Pub/Sub ignores what a publisher puts there; the builder replaces both (an embedded
      // message written twice would be merged, not replaced).
      return message.toBuilder().setMessageId(id).setPublishTime(publishTime).build().toByteArray();
    }
    int size = wire != null ? wire.size() : message.getSerializedSize();
    byte[] bytes =
        new byte
            [size
                + CodedOutputStream.computeStringSize(PubsubMessage.MESSAGE_ID_FIELD_NUMBER, id)
                + CodedOutputStream.computeMessageSize(
                    PubsubMessage.PUBLISH_TIME_FIELD_NUMBER, publishTime)];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      if (wire != null) {
        out.writeRawBytes(wire);
      } else {
        message.writeTo(out);
      }
      out.writeString(PubsubMessage.MESSAGE_ID_FIELD_NUMBER, id);
      out.writeMessage(PubsubMessage.PUBLISH_TIME_FIELD_NUMBER, publishTime);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("a message did not fit the bytes computed for it", e);
    }
    return bytes;
  }

  /**
   * Returns a received message that carries {@code stored}, a message's bytes as the log keeps
   * them, without decoding them: as an unknown field with the number of {@code message}, which
   * protobuf writes after the known fields exactly as given, so on the wire it is the message field
   * and every client reads it as such. Decoding each message only to encode it again into the
   * response cost a pull about half its CPU. In this process the message is not set: {@link
   * #withMessages} decodes it where the broker itself needs it (the REST API's JSON).
   */
  static ReceivedMessage.Builder received(byte[] stored) {
    return ReceivedMessage.newBuilder()
        .setUnknownFields(
            UnknownFieldSet.newBuilder()
                .addField(
                    ReceivedMessage.MESSAGE_FIELD_NUMBER,
                    UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(UnsafeByteOperations.unsafeWrap(stored))
                        .build())
                .build());
  }

  /**
   * Whether {@code stored} is framed as a PubsubMessage: every field's tag and length are whole,
   * and the message's fields (all length-delimited) have that wire type. What the log keeps passed
   * its CRC, so these are bytes the broker wrote; the check stands for the full decode it replaces
   * on the pull path, so a record no client could read is skipped, not delivered forever.
   */
  static boolean isWellFormed(byte[] stored) {
    CodedInputStream in = CodedInputStream.newInstance(stored);
    try {
      int tag;
      while ((tag = in.readTag()) != 0) {
        int field = WireFormat.getTagFieldNumber(tag);
        if (field >= PubsubMessage.DATA_FIELD_NUMBER
            && field <= PubsubMessage.ORDERING_KEY_FIELD_NUMBER
            && WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          return false;
        }
        in.skipField(tag);
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Returns {@code response} with the messages {@link #received} carries decoded and set. */
  static PullResponse withMessages(PullResponse response) {
    PullResponse.Builder decoded = response.toBuilder();
    for (ReceivedMessage.Builder received : decoded.getReceivedMessagesBuilderList()) {
      UnknownFieldSet.Field stored =
          received.getUnknownFields().getField(ReceivedMessage.MESSAGE_FIELD_NUMBER);
      if (stored.getLengthDelimitedList().isEmpty()) {
        continue;
      }
      try {
        received.setMessage(PubsubMessage.parseFrom(stored.getLengthDelimitedList().get(0)));
      } catch (InvalidProtocolBufferException e) {
        // The log checked the record's CRC before it was leased: these are the bytes written.
        throw new IllegalStateException("a stored message no longer decodes", e);
      }
      received.setUnknownFields(UnknownFieldSet.getDefaultInstance());
    }
    return decoded.build();
  }
}
