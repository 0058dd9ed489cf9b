package io.eventflow.broker;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Timestamp;
import com.google.pubsub.v1.PubsubMessage;
import java.io.IOException;
import java.io.UncheckedIOException;

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
    String id = Long.toString(offset);
    Timestamp publishTime = Micros.toTimestamp(micros);
    if (!message.getMessageId().isEmpty() || message.hasPublishTime()) {
      // Pub/Sub ignores what a publisher puts there; the builder replaces both (an embedded
      // message written twice would be merged, not replaced).
      return message.toBuilder().setMessageId(id).setPublishTime(publishTime).build().toByteArray();
    }
    byte[] bytes =
        new byte
            [message.getSerializedSize()
                + CodedOutputStream.computeStringSize(PubsubMessage.MESSAGE_ID_FIELD_NUMBER, id)
                + CodedOutputStream.computeMessageSize(
                    PubsubMessage.PUBLISH_TIME_FIELD_NUMBER, publishTime)];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      message.writeTo(out);
      out.writeString(PubsubMessage.MESSAGE_ID_FIELD_NUMBER, id);
      out.writeMessage(PubsubMessage.PUBLISH_TIME_FIELD_NUMBER, publishTime);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("a message did not fit the bytes computed for it", e);
    }
    return bytes;
  }
}
