package io.eventflow.timeseries.rollups;

import com.google.protobuf.InvalidProtocolBufferException;
import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.EventJsonException;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.pb.Event;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the validated events ingest republishes: binary protobuf, or proto3 JSON when the {@code
 * content-type} attribute says so.
 *
 * <p>Ingest validated and re-encoded every message on this topic and keeps every original in
 * BigQuery, so a message that does not decode here is a bug upstream, not user input: it is counted
 * ({@code undecodableMessages}) and logged with its message id, and not aggregated.
 */
public final class DecodeEvents extends PTransform<PCollection<PubsubMessage>, PCollection<Event>> {
  private static final long serialVersionUID = 1L;

  @Override
  public PCollection<Event> expand(PCollection<PubsubMessage> messages) {
    return messages.apply("Decode", ParDo.of(new DecodeFn())).setCoder(ProtoCoder.of(Event.class));
  }

  /** Decodes one message. */
  static final class DecodeFn extends DoFn<PubsubMessage, Event> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DecodeEvents.class);
    private final Counter undecodable = Metrics.counter(DecodeEvents.class, "undecodableMessages");

    @ProcessElement
    public void processElement(@Element PubsubMessage message, OutputReceiver<Event> out) {
      String contentType = message.getAttribute(MessageAttributes.CONTENT_TYPE);
      boolean json =
          contentType != null
              && ContentType.fromMimeType(contentType).orElse(null) == ContentType.JSON;
      try {
        out.output(
            json ? EventJson.parse(message.getPayload()) : Event.parseFrom(message.getPayload()));
      } catch (InvalidProtocolBufferException | EventJsonException e) {
        undecodable.inc();
        LOG.warn("cannot decode message {}: {}", message.getMessageId(), e.getMessage());
      }
    }
  }
}
