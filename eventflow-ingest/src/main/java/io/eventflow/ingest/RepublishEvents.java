package io.eventflow.ingest;

import com.google.common.collect.ImmutableMap;
import io.eventflow.beam.PublishPubsubMessages;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.ContentType;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.Rfc3339;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Enrichment;
import io.eventflow.common.pb.Event;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
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
 * event.timestamp} and subscriptions can filter by type, source or customer; enriched events also
 * carry {@code enrichment.status} and {@code enrichment.KIND.NAME} per entity attribute (as text).
 */
public final class RepublishEvents extends PTransform<PCollection<Event>, PDone> {
  private static final long serialVersionUID = 1L;

  /** The attribute holding the enrichment status ({@code enriched}, {@code not_found}, ...). */
  public static final String ENRICHMENT_STATUS = "enrichment.status";

  /** Pub/Sub's limit on an attribute value. */
  static final int MAX_ATTRIBUTE_VALUE_BYTES = 1024;

  private final String topic;
  private final @Nullable PubsubClientFactory clientFactory;
  private final @Nullable String batchedGrpcRootUrl;

  /**
   * Creates the transform, publishing through PubsubIO.
   *
   * @param topic the topic as {@code projects/P/topics/T}
   * @param clientFactory a Pub/Sub client factory for tests, or null for the configured Pub/Sub
   */
  public RepublishEvents(String topic, @Nullable PubsubClientFactory clientFactory) {
    this(topic, clientFactory, null);
  }

  private RepublishEvents(
      String topic,
      @Nullable PubsubClientFactory clientFactory,
      @Nullable String batchedGrpcRootUrl) {
    this.topic = topic;
    this.clientFactory = clientFactory;
    this.batchedGrpcRootUrl = batchedGrpcRootUrl;
  }

  /**
   * Returns the transform publishing with {@link PublishPubsubMessages} (batches over gRPC at the
   * endpoint of a {@code --pubsubRootUrl}), for the DirectRunner.
   */
  public static RepublishEvents overBatchedGrpc(String topic, String pubsubRootUrl) {
    return new RepublishEvents(topic, null, pubsubRootUrl);
  }

  /** Returns the message the validated topic receives for an event. */
  public static PubsubMessage toMessage(Event event) {
    ImmutableMap.Builder<String, String> attributes =
        ImmutableMap.<String, String>builder()
            .put(MessageAttributes.ID, event.getId())
            .put(MessageAttributes.TYPE, event.getType())
            .put(MessageAttributes.SOURCE, event.getSource())
            .put(MessageAttributes.TIMESTAMP, Rfc3339.format(event.getTimestamp()))
            .put(MessageAttributes.CONTENT_TYPE, ContentType.PROTOBUF.mimeType());
    if (event.hasCustomer()) {
      attributes.put(MessageAttributes.CUSTOMER, event.getCustomer().getValue());
    }
    if (event.hasEnrichment()) {
      // Subscriptions filter on these, e.g. attributes."enrichment.customer.plan" = "gold".
      Enrichment enrichment = event.getEnrichment();
      attributes.put(ENRICHMENT_STATUS, enrichment.getStatus());
      String prefix = "enrichment." + enrichment.getKind() + ".";
      for (Map.Entry<String, AttributeValue> a :
          new TreeMap<>(enrichment.getAttributesMap()).entrySet()) {
        String value = AttributeValues.toText(a.getValue());
        // Pub/Sub takes values of at most 1,024 bytes; a longer one stays in the payload only.
        if (value.getBytes(StandardCharsets.UTF_8).length <= MAX_ATTRIBUTE_VALUE_BYTES) {
          attributes.put(prefix + a.getKey(), value);
        }
      }
    }
    return new PubsubMessage(event.toByteArray(), attributes.buildOrThrow());
  }

  @Override
  public PDone expand(PCollection<Event> events) {
    PTransform<PCollection<PubsubMessage>, PDone> write;
    if (batchedGrpcRootUrl != null) {
      write = PublishPubsubMessages.toTopic(topic, batchedGrpcRootUrl);
    } else {
      PubsubIO.Write<PubsubMessage> pubsubIo = PubsubIO.writeMessages().to(topic);
      write = clientFactory != null ? pubsubIo.withClientFactory(clientFactory) : pubsubIo;
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
