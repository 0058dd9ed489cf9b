package io.eventflow.publisher;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.Subscription;
import io.eventflow.broker.Broker;
import io.eventflow.broker.BrokerConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An eventflow-broker on a free loopback port, in memory or durable under a directory, with the
 * official admin clients and streaming-pull {@link Subscriber} connected to it, for end-to-end
 * tests of what subscribers receive. A durable one can be stopped and started again on the same
 * port and directory, to play a Pub/Sub outage (the collector's tests use it so).
 */
public final class BrokerFixture implements AutoCloseable {
  /** The project every topic and subscription of the fixture lives in. */
  public static final String PROJECT = "projects/demo";

  private final CredentialsProvider noCredentials = NoCredentialsProvider.create();

  /** What {@link #restart()} starts: the same port and directory; null when in memory. */
  private final BrokerConfig restartConfig;

  private Broker broker;
  private final ManagedChannel channel;
  private final TransportChannelProvider channels;
  private final TopicAdminClient topics;
  private final SubscriptionAdminClient subscriptions;
  private final List<Subscriber> subscribers = new ArrayList<>();

  private BrokerFixture(BrokerConfig config) throws IOException {
    broker = Broker.start(config);
    restartConfig =
        config.dataDir().isEmpty()
            ? null
            : BrokerConfig.builder()
                .host(config.host())
                .port(broker.port())
                .dataDir(config.dataDir().get())
                .build();
    channel = ManagedChannelBuilder.forTarget(broker.hostAndPort()).usePlaintext().build();
    channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    topics =
        TopicAdminClient.create(
            TopicAdminSettings.newBuilder()
                .setTransportChannelProvider(channels)
                .setCredentialsProvider(noCredentials)
                .build());
    subscriptions =
        SubscriptionAdminClient.create(
            SubscriptionAdminSettings.newBuilder()
                .setTransportChannelProvider(channels)
                .setCredentialsProvider(noCredentials)
                .build());
  }

  /** Starts an in-memory broker and connects the clients. */
  public static BrokerFixture start() throws IOException {
    return new BrokerFixture(BrokerConfig.builder().port(0).inMemory().build());
  }

  /** Starts a broker keeping its data under {@code dir}, which {@link #restart()} reopens. */
  public static BrokerFixture startDurable(Path dir) throws IOException {
    return new BrokerFixture(BrokerConfig.builder().host("127.0.0.1").port(0).dataDir(dir).build());
  }

  /** Stops the broker: Pub/Sub is unavailable until {@link #restart()}. */
  public void stop() throws IOException {
    broker.close();
  }

  /** Starts a durable broker again on the same port and directory. */
  public void restart() throws IOException {
    if (restartConfig == null) {
      throw new IllegalStateException("an in-memory broker cannot restart: use startDurable");
    }
    broker = Broker.start(restartConfig);
  }

  /** Returns the {@code host:port} to use as the emulator host. */
  public String hostAndPort() {
    return broker.hostAndPort();
  }

  /** Returns the full name of a topic id. */
  public static String topic(String id) {
    return PROJECT + "/topics/" + id;
  }

  /**
   * Creates the topic and a subscription {@code <topic>-sub} to it with the given filter ("" for
   * none), returning the subscription's full name.
   */
  public String createTopicAndSubscription(String topicId, String filter) {
    topics.createTopic(topic(topicId));
    String subscription = PROJECT + "/subscriptions/" + topicId + "-sub";
    subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(subscription)
            .setTopic(topic(topicId))
            .setFilter(filter)
            .build());
    return subscription;
  }

  /**
   * Pulls with the official streaming-pull subscriber, acknowledging each message, until {@code
   * count} messages arrived or 30 seconds passed; returns them by their {@code event.id}.
   */
  public Map<String, PubsubMessage> pull(String subscription, int count)
      throws InterruptedException {
    Map<String, PubsubMessage> received = new ConcurrentHashMap<>();
    // One permit per distinct event: the wait below ends on the count-th, not on a polling tick.
    Semaphore arrived = new Semaphore(0);
    MessageReceiver receiver =
        (message, consumer) -> {
          if (received.put(message.getAttributesOrThrow("event.id"), message) == null) {
            arrived.release();
          }
          consumer.ack();
        };
    Subscriber subscriber =
        Subscriber.newBuilder(subscription, receiver)
            .setChannelProvider(channels)
            .setCredentialsProvider(noCredentials)
            .build();
    subscriber.startAsync().awaitRunning();
    subscribers.add(subscriber);
    // A bound for a broken broker, not a timing assertion: delivery takes milliseconds.
    arrived.tryAcquire(count, 30, TimeUnit.SECONDS);
    return received;
  }

  /** Stops the subscribers, the clients and the broker. */
  @Override
  public void close() throws IOException {
    try {
      for (Subscriber subscriber : subscribers) {
        subscriber.stopAsync().awaitTerminated(10, TimeUnit.SECONDS);
      }
    } catch (TimeoutException e) {
      throw new IOException("a subscriber did not stop within 10 s", e);
    } finally {
      topics.close();
      subscriptions.close();
      channel.shutdownNow();
      broker.close();
    }
  }
}
