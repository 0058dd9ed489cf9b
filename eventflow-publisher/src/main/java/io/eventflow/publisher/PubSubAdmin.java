package io.eventflow.publisher;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.AlreadyExistsException;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.NotFoundException;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.TopicName;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Creates topics and subscriptions with the official Pub/Sub admin clients over one plaintext
 * channel to an emulator or the eventflow broker ({@code host:port}, no credentials): the local
 * stack, the load drivers and the tests declare their topology with it. Creating what exists
 * already is not an error: a local stack restarted on its data directory finds its subscriptions
 * where it left them.
 */
public final class PubSubAdmin implements AutoCloseable {
  private final ManagedChannel channel;
  private final TransportChannelProvider channels;
  private final TopicAdminClient topics;
  private final SubscriptionAdminClient subscriptions;

  private PubSubAdmin(ManagedChannel channel) throws IOException {
    this.channel = channel;
    this.channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    TopicAdminClient topicClient = null;
    try {
      topicClient =
          TopicAdminClient.create(
              TopicAdminSettings.newBuilder()
                  .setTransportChannelProvider(channels)
                  .setCredentialsProvider(NoCredentialsProvider.create())
                  .build());
      this.subscriptions =
          SubscriptionAdminClient.create(
              SubscriptionAdminSettings.newBuilder()
                  .setTransportChannelProvider(channels)
                  .setCredentialsProvider(NoCredentialsProvider.create())
                  .build());
      this.topics = topicClient;
    } catch (IOException | RuntimeException e) {
      if (topicClient != null) {
        topicClient.close();
      }
      channel.shutdownNow();
      throw e;
    }
  }

  /**
   * Connects to the emulator or broker at {@code hostAndPort} without TLS or credentials.
   *
   * @throws IOException if the admin clients cannot be created
   */
  public static PubSubAdmin connect(String hostAndPort) throws IOException {
    return new PubSubAdmin(ManagedChannelBuilder.forTarget(hostAndPort).usePlaintext().build());
  }

  /**
   * Returns the channel the admin clients use, for a {@code Subscriber} or {@code Publisher} on the
   * same connection ({@code setChannelProvider}); it closes with this object.
   */
  public TransportChannelProvider channelProvider() {
    return channels;
  }

  /** Creates the topic unless it exists; returns whether this call created it. */
  public boolean createTopic(TopicName topic) {
    try {
      topics.createTopic(topic);
      return true;
    } catch (AlreadyExistsException e) {
      return false;
    }
  }

  /**
   * Creates the subscription unless one of that name exists (whose settings are then left as they
   * are: the broker keeps its position); returns whether this call created it.
   */
  public boolean createSubscription(Subscription subscription) {
    try {
      subscriptions.createSubscription(subscription);
      return true;
    } catch (AlreadyExistsException e) {
      return false;
    }
  }

  /**
   * Deletes the subscription ({@code projects/P/subscriptions/S}) if it exists, with its backlog;
   * returns whether it existed.
   */
  public boolean deleteSubscription(String subscription) {
    try {
      subscriptions.deleteSubscription(subscription);
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  /**
   * Creates the topic and a subscription {@code subscriptionId} to it in the topic's project, each
   * unless it exists, with the broker's defaults for everything else.
   */
  public void createTopicAndSubscription(TopicName topic, String subscriptionId) {
    createTopic(topic);
    createSubscription(
        Subscription.newBuilder()
            .setName("projects/" + topic.getProject() + "/subscriptions/" + subscriptionId)
            .setTopic(topic.toString())
            .build());
  }

  /** Closes the admin clients and the channel. */
  @Override
  public void close() {
    topics.close();
    subscriptions.close();
    channel.shutdownNow();
    try {
      // Bounded: an emulator that went away must not hold up the caller's shutdown.
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
