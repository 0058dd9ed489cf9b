package io.eventflow.ingest;

import com.google.common.collect.ImmutableMap;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.ContentType;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.pb.Event;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.PubsubClientFactory;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubIO;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessageWithAttributesCoder;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Publishes valid events to the validated topic as binary protobuf, with the event's id, type,
 * source, customer and timestamp as attributes so the rollups job can take event time from {@code
 * event.timestamp} and subscriptions can filter by type, source or customer.
 */
public final class RepublishEvents extends PTransform<PCollection<Event>, PDone> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final @Nullable PubsubClientFactory clientFactory;

  /**
   * Creates the transform.
   *
   * @param topic the topic as {@code projects/P/topics/T}
   * @param clientFactory a Pub/Sub client factory for tests, or null for the configured Pub/Sub
   */
  public RepublishEvents(String topic, @Nullable PubsubClientFactory clientFactory) {
    this.topic = topic;
    this.clientFactory = clientFactory;
  }

  /** Returns the message the validated topic receives for an event. */
  public static PubsubMessage toMessage(Event event) {
    ImmutableMap.Builder<String, String> attributes =
        ImmutableMap.<String, String>builder()
            .put(MessageAttributes.ID, event.getId())
            .put(MessageAttributes.TYPE, event.getType())
            .put(MessageAttributes.SOURCE, event.getSource())
            .put(MessageAttributes.TIMESTAMP, Timestamps.toString(event.getTimestamp()))
            .put(MessageAttributes.CONTENT_TYPE, ContentType.PROTOBUF.mimeType());
    if (event.hasCustomer()) {
      attributes.put(MessageAttributes.CUSTOMER, event.getCustomer().getValue());
    }
    return new PubsubMessage(event.toByteArray(), attributes.buildOrThrow());
  }

  @Override
  public PDone expand(PCollection<Event> events) {
    PubsubIO.Write<PubsubMessage> write = PubsubIO.writeMessages().to(topic);
    if (clientFactory != null) {
      write = write.withClientFactory(clientFactory);
    }
    return events
        .apply(
            "ToMessages",
            MapElements.into(TypeDescriptor.of(PubsubMessage.class))
                .via(RepublishEvents::toMessage))
        .setCoder(PubsubMessageWithAttributesCoder.of())
        .apply("PublishToValidatedTopic", write);
  }
}
