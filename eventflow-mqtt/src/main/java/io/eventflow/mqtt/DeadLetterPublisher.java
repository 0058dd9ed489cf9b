package io.eventflow.mqtt;

import com.google.api.core.ApiFuture;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.batching.FlowController.LimitExceededBehavior;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import io.eventflow.ingest.pb.InvalidMessage;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Publishes the bridge's dead letters, ingest's {@link InvalidMessage} records in binary protobuf,
 * to their own Pub/Sub topic. Each carries the attributes {@code mqtt.topic} and {@code
 * invalid.reason}, so a subscription can filter by either.
 *
 * <p>A Pub/Sub topic keeps nothing without a subscription: the topic needs one (the local stack
 * creates {@code mqtt-dead-letters-hold}) or dead letters are confirmed and dropped.
 */
final class DeadLetterPublisher implements AutoCloseable {
  /** Attribute naming the {@code InvalidReason} of a dead letter. */
  static final String REASON_ATTRIBUTE = "invalid.reason";

  private final Publisher publisher;
  private final ManagedChannel emulatorChannel;

  DeadLetterPublisher(TopicName topic, Optional<String> emulatorHost, long maxOutstanding)
      throws IOException {
    Publisher.Builder builder =
        Publisher.newBuilder(topic)
            .setBatchingSettings(
                BatchingSettings.newBuilder()
                    // Dead letters are rare: 100 per request, 10 ms at most, like events'.
                    .setElementCountThreshold(100L)
                    .setDelayThresholdDuration(Duration.ofMillis(10))
                    .setFlowControlSettings(
                        FlowControlSettings.newBuilder()
                            .setMaxOutstandingElementCount(maxOutstanding)
                            // 64 MiB, the events publisher's bound: 256 dead letters at 256 KiB.
                            .setMaxOutstandingRequestBytes(64L * 1024 * 1024)
                            .setLimitExceededBehavior(LimitExceededBehavior.Block)
                            .build())
                    .build());
    if (emulatorHost.isPresent()) {
      emulatorChannel = ManagedChannelBuilder.forTarget(emulatorHost.get()).usePlaintext().build();
      builder
          .setChannelProvider(
              FixedTransportChannelProvider.create(GrpcTransportChannel.create(emulatorChannel)))
          .setCredentialsProvider(NoCredentialsProvider.create());
    } else {
      emulatorChannel = null;
    }
    publisher = builder.build();
  }

  /** Publishes a dead letter; the future is done once Pub/Sub stored it. */
  ApiFuture<String> publish(InvalidMessage deadLetter) {
    return publisher.publish(
        PubsubMessage.newBuilder()
            .setData(deadLetter.toByteString())
            .putAttributes(
                EventMapper.TOPIC_ATTRIBUTE,
                deadLetter.getAttributesOrDefault(EventMapper.TOPIC_ATTRIBUTE, ""))
            .putAttributes(REASON_ATTRIBUTE, deadLetter.getReason().name())
            .build());
  }

  /** Sends what is buffered now, without waiting for the answers. */
  void sendBuffered() {
    publisher.publishAllOutstanding();
  }

  /** Sends what is buffered and waits up to 30 s for the answers, then stops. */
  @Override
  public void close() {
    try {
      publisher.publishAllOutstanding();
      publisher.shutdown();
      publisher.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (emulatorChannel != null) {
        emulatorChannel.shutdownNow();
      }
    }
  }
}
