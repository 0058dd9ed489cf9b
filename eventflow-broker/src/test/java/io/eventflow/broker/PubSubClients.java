package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutures;
import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.Subscription;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A running broker plus the official Java clients pointed at it the way the client library itself
 * does for {@code PUBSUB_EMULATOR_HOST}: a plaintext channel and no credentials.
 */
final class PubSubClients implements AutoCloseable {
  static final String PROJECT = "projects/eventflow-test";

  @Nullable final Broker broker;
  final ManagedChannel channel;
  final TransportChannelProvider channels;
  final CredentialsProvider credentials = NoCredentialsProvider.create();
  final TopicAdminClient topics;
  final SubscriptionAdminClient subscriptions;
  private final List<AutoCloseable> owned = new ArrayList<>();

  private PubSubClients(@Nullable Broker broker, String hostAndPort) throws IOException {
    this.broker = broker;
    this.channel = ManagedChannelBuilder.forTarget(hostAndPort).usePlaintext().build();
    this.channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    this.topics =
        TopicAdminClient.create(
            TopicAdminSettings.newBuilder()
                .setTransportChannelProvider(channels)
                .setCredentialsProvider(credentials)
                .build());
    this.subscriptions =
        SubscriptionAdminClient.create(
            SubscriptionAdminSettings.newBuilder()
                .setTransportChannelProvider(channels)
                .setCredentialsProvider(credentials)
                .build());
  }

  /** Starts a broker with {@code config} and connects the clients to it. */
  static PubSubClients start(BrokerConfig config) throws IOException {
    Broker broker = Broker.start(config);
    return new PubSubClients(broker, broker.hostAndPort());
  }

  /** Connects the clients to a broker running elsewhere (e.g. in a child process). */
  static PubSubClients connect(String hostAndPort) throws IOException {
    return new PubSubClients(null, hostAndPort);
  }

  static String topic(String id) {
    return PROJECT + "/topics/" + id;
  }

  static String subscription(String id) {
    return PROJECT + "/subscriptions/" + id;
  }

  /** Creates a topic and a subscription to it with the given settings on top of the name/topic. */
  void createTopicAndSubscription(String topicId, Subscription.Builder subscription) {
    topics.createTopic(topic(topicId));
    subscriptions.createSubscription(
        subscription.setName(subscription(topicId + "-sub")).setTopic(topic(topicId)).build());
  }

  /** A batching publisher for {@code topicId}, shut down with this fixture. */
  Publisher publisher(String topicId) throws IOException {
    return publisher(topicId, builder -> builder);
  }

  /** As {@link #publisher(String)}, with further settings (ordering, batching) applied. */
  Publisher publisher(String topicId, UnaryOperator<Publisher.Builder> settings)
      throws IOException {
    Publisher publisher =
        settings
            .apply(
                Publisher.newBuilder(topic(topicId))
                    .setChannelProvider(channels)
                    .setCredentialsProvider(credentials))
            .build();
    owned.add(
        () -> {
          publisher.shutdown();
          publisher.awaitTermination(10, TimeUnit.SECONDS);
        });
    return publisher;
  }

  /** A started StreamingPull subscriber, stopped with this fixture. */
  Subscriber subscriber(String subscriptionId, MessageReceiver receiver) {
    Subscriber subscriber =
        Subscriber.newBuilder(subscription(subscriptionId), receiver)
            .setChannelProvider(channels)
            .setCredentialsProvider(credentials)
            .build();
    subscriber.startAsync().awaitRunning();
    owned.add(() -> subscriber.stopAsync().awaitTerminated(10, TimeUnit.SECONDS));
    return subscriber;
  }

  /** Publishes {@code data} with {@code attributes} and waits for its message id. */
  String publish(Publisher publisher, String data, Map<String, String> attributes)
      throws Exception {
    return publisher
        .publish(
            PubsubMessage.newBuilder()
                .setData(ByteString.copyFrom(data, StandardCharsets.UTF_8))
                .putAllAttributes(attributes)
                .build())
        .get(10, TimeUnit.SECONDS);
  }

  /**
   * Publishes {@code n} messages {@code m<i>-} plus 100 bytes (about 150 bytes stored), twenty at a
   * time: the log commits concurrent publishes as one write, which never spans segments, so waiting
   * for each twenty keeps segments near their configured size; returns the ids in order.
   */
  List<String> publishNumbered(String topicId, int n) throws Exception {
    Publisher publisher = publisher(topicId);
    List<String> ids = new ArrayList<>();
    for (int first = 0; first < n; first += 20) {
      List<ApiFuture<String>> futures = new ArrayList<>();
      for (int i = first; i < Math.min(n, first + 20); i++) {
        futures.add(
            publisher.publish(
                PubsubMessage.newBuilder()
                    .setData(
                        ByteString.copyFrom(
                            "m" + i + "-" + "d".repeat(100), StandardCharsets.UTF_8))
                    .build()));
      }
      ids.addAll(ApiFutures.allAsList(futures).get(30, TimeUnit.SECONDS));
    }
    return ids;
  }

  /** One unary Pull that returns at once. */
  PullResponse pullNow(String subscriptionId, int max) {
    @SuppressWarnings("deprecation")
    PullResponse response =
        subscriptions.pull(subscription(subscriptionId), /* returnImmediately= */ true, max);
    return response;
  }

  /** One unary Pull that waits (up to the broker's pull wait) for messages. */
  PullResponse pullWaiting(String subscriptionId, int max) {
    return subscriptions.pull(subscription(subscriptionId), max);
  }

  /** Pulls until {@code expected} messages arrived; their ack deadline must outlast the pulls. */
  List<ReceivedMessage> pullAll(String subscriptionId, int expected) {
    List<ReceivedMessage> all = new ArrayList<>();
    ChildBroker.Deadline deadline =
        new ChildBroker.Deadline(
            ChildBroker.WAIT, expected + " messages pulled from " + subscriptionId);
    while (all.size() < expected) {
      deadline.check();
      all.addAll(pullWaiting(subscriptionId, 1000).getReceivedMessagesList());
    }
    return all;
  }

  /** Pulls and acknowledges until a pull returns nothing; returns the message ids received. */
  List<String> drain(String subscriptionId) {
    List<String> delivered = new ArrayList<>();
    List<ReceivedMessage> received;
    while (!(received = pullNow(subscriptionId, 1000).getReceivedMessagesList()).isEmpty()) {
      List<String> ackIds = new ArrayList<>();
      for (ReceivedMessage m : received) {
        delivered.add(m.getMessage().getMessageId());
        ackIds.add(m.getAckId());
      }
      subscriptions.acknowledge(subscription(subscriptionId), ackIds);
    }
    return delivered;
  }

  /** The broker's {@code /metrics} page. */
  String metrics() throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(broker.metricsUrl())).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The value of the sample of {@code name} whose labels are exactly {@code labels}. */
  static double sample(String metrics, String name, String labels) {
    Matcher m =
        Pattern.compile(
                "(?m)^"
                    + Pattern.quote(name + "{" + labels + ",}")
                    + " (\\S+)$|^"
                    + Pattern.quote(name + "{" + labels + "}")
                    + " (\\S+)$")
            .matcher(metrics);
    assertThat(m.find()).as("%s{%s} in%n%s", name, labels, metrics).isTrue();
    return Double.parseDouble(m.group(1) != null ? m.group(1) : m.group(2));
  }

  /** The bytes of every topic's log segment files under a broker's data directory. */
  static long logBytes(Path dataDir) throws IOException {
    try (Stream<Path> files = Files.walk(dataDir.resolve("topics"))) {
      return files
          .filter(p -> p.toString().endsWith(".log"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    }
  }

  @Override
  public void close() throws Exception {
    for (int i = owned.size() - 1; i >= 0; i--) {
      owned.get(i).close();
    }
    topics.close();
    subscriptions.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    if (broker != null) {
      broker.close();
    }
  }
}
