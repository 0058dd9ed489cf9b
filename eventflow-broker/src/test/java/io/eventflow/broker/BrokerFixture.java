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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * An eventflow-broker on a free loopback port (in memory, durable under a directory, or any
 * configuration) with the official Java clients pointed at it the way the client library itself
 * does for {@code PUBSUB_EMULATOR_HOST}: a plaintext channel and no credentials. A durable one can
 * be stopped and started again on the same port and directory, to play a Pub/Sub outage.
 *
 * <p>The broker's own tests use it, and other modules get it from this module's test-jar (the
 * publisher's, the collector's and the CLI's end-to-end tests). It cannot live in
 * eventflow-testing: it needs the broker, whose tests depend on eventflow-testing's fixtures.
 */
public final class BrokerFixture implements AutoCloseable {
  /** The project id every topic and subscription of the fixture lives in. */
  public static final String PROJECT_ID = "eventflow-test";

  /** The project's resource name, the prefix of every topic and subscription name. */
  public static final String PROJECT = "projects/" + PROJECT_ID;

  private final String hostAndPort;

  /** What {@link #restart()} starts again: the same port and directory; null unless durable. */
  @Nullable private final BrokerConfig restartConfig;

  @Nullable private Broker broker;

  /** The plaintext channel every client of the fixture shares. */
  public final ManagedChannel channel;

  /** {@link #channel} as the client library's channel provider. */
  public final TransportChannelProvider channels;

  /** No credentials, as for an emulator. */
  public final CredentialsProvider credentials = NoCredentialsProvider.create();

  /** The official topic admin client. */
  public final TopicAdminClient topics;

  /** The official subscription admin client (also unary Pull and Acknowledge). */
  public final SubscriptionAdminClient subscriptions;

  private final List<AutoCloseable> owned = new ArrayList<>();

  private BrokerFixture(
      @Nullable Broker broker, String hostAndPort, @Nullable BrokerConfig restartConfig)
      throws IOException {
    this.broker = broker;
    this.hostAndPort = hostAndPort;
    this.restartConfig = restartConfig;
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

  /** Starts an in-memory broker on a free loopback port and connects the clients. */
  public static BrokerFixture start() throws IOException {
    return start(BrokerConfig.builder().host("127.0.0.1").port(0).inMemory().build());
  }

  /** Starts a broker keeping its data under {@code dir}, which {@link #restart()} reopens. */
  public static BrokerFixture startDurable(Path dir) throws IOException {
    Broker broker =
        Broker.start(BrokerConfig.builder().host("127.0.0.1").port(0).dataDir(dir).build());
    BrokerConfig again =
        BrokerConfig.builder().host("127.0.0.1").port(broker.port()).dataDir(dir).build();
    return new BrokerFixture(broker, broker.hostAndPort(), again);
  }

  /** Starts a broker with {@code config} and connects the clients to it. */
  public static BrokerFixture start(BrokerConfig config) throws IOException {
    Broker broker = Broker.start(config);
    return new BrokerFixture(broker, broker.hostAndPort(), null);
  }

  /** Connects the clients to a broker running elsewhere (e.g. in a child process). */
  public static BrokerFixture connect(String hostAndPort) throws IOException {
    return new BrokerFixture(null, hostAndPort, null);
  }

  /** Returns the broker this fixture started; fails for one it only {@link #connect}ed to. */
  public Broker broker() {
    if (broker == null) {
      throw new IllegalStateException("connected to a broker elsewhere: " + hostAndPort);
    }
    return broker;
  }

  /** Returns the broker's {@code host:port}, to use as the emulator host. */
  public String hostAndPort() {
    return hostAndPort;
  }

  /** Stops the broker: Pub/Sub is unavailable until {@link #restart()}. */
  public void stop() throws IOException {
    broker().close();
  }

  /** Starts a durable broker again on the same port and directory. */
  public void restart() throws IOException {
    if (restartConfig == null) {
      throw new IllegalStateException("only a broker from startDurable can restart");
    }
    broker = Broker.start(restartConfig);
  }

  /** Returns the full name of topic {@code id}. */
  public static String topic(String id) {
    return PROJECT + "/topics/" + id;
  }

  /** Returns the full name of subscription {@code id}. */
  public static String subscription(String id) {
    return PROJECT + "/subscriptions/" + id;
  }

  /**
   * Creates a topic and a subscription {@code <topicId>-sub} to it with the given settings on top
   * of the name and topic; returns the subscription's full name.
   */
  public String createTopicAndSubscription(String topicId, Subscription.Builder subscription) {
    topics.createTopic(topic(topicId));
    String name = subscription(topicId + "-sub");
    subscriptions.createSubscription(subscription.setName(name).setTopic(topic(topicId)).build());
    return name;
  }

  /**
   * Creates the topic and a subscription {@code <topicId>-sub} to it with the given filter ("" for
   * none); returns the subscription's full name.
   */
  public String createTopicAndSubscription(String topicId, String filter) {
    return createTopicAndSubscription(topicId, Subscription.newBuilder().setFilter(filter));
  }

  /** A batching publisher for {@code topicId}, shut down with this fixture. */
  public Publisher publisher(String topicId) throws IOException {
    return publisher(topicId, builder -> builder);
  }

  /** As {@link #publisher(String)}, with further settings (ordering, batching) applied. */
  public Publisher publisher(String topicId, UnaryOperator<Publisher.Builder> settings)
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

  /**
   * A started StreamingPull subscriber of a subscription (an id in the fixture's project, or a full
   * name), stopped with this fixture.
   */
  public Subscriber subscriber(String subscriptionId, MessageReceiver receiver) {
    Subscriber subscriber =
        Subscriber.newBuilder(
                subscriptionId.startsWith("projects/")
                    ? subscriptionId
                    : subscription(subscriptionId),
                receiver)
            .setChannelProvider(channels)
            .setCredentialsProvider(credentials)
            .build();
    subscriber.startAsync().awaitRunning();
    owned.add(() -> subscriber.stopAsync().awaitTerminated(10, TimeUnit.SECONDS));
    return subscriber;
  }

  /** Publishes {@code data} with {@code attributes} and waits for its message id. */
  public String publish(Publisher publisher, String data, Map<String, String> attributes)
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
  public List<String> publishNumbered(String topicId, int n) throws Exception {
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
  public PullResponse pullNow(String subscriptionId, int max) {
    @SuppressWarnings("deprecation")
    PullResponse response =
        subscriptions.pull(subscription(subscriptionId), /* returnImmediately= */ true, max);
    return response;
  }

  /** One unary Pull that waits (up to the broker's pull wait) for messages. */
  public PullResponse pullWaiting(String subscriptionId, int max) {
    return subscriptions.pull(subscription(subscriptionId), max);
  }

  /** Pulls until {@code expected} messages arrived; their ack deadline must outlast the pulls. */
  public List<ReceivedMessage> pullAll(String subscriptionId, int expected) {
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
  public List<String> drain(String subscriptionId) {
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

  /**
   * Pulls with the official streaming-pull subscriber, acknowledging each message, until {@code
   * count} distinct events arrived or 30 seconds passed; returns them by their {@code event.id}.
   */
  public Map<String, PubsubMessage> pull(String subscription, int count)
      throws InterruptedException {
    Map<String, PubsubMessage> received = new ConcurrentHashMap<>();
    // One permit per distinct event: the wait below ends on the count-th, not on a polling tick.
    Semaphore arrived = new Semaphore(0);
    subscriber(
        subscription,
        (message, consumer) -> {
          if (received.put(message.getAttributesOrThrow("event.id"), message) == null) {
            arrived.release();
          }
          consumer.ack();
        });
    // A bound for a broken broker, not a timing assertion: delivery takes milliseconds.
    arrived.tryAcquire(count, 30, TimeUnit.SECONDS);
    return received;
  }

  /** The broker's {@code /metrics} page. */
  public String metrics() throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(broker().metricsUrl())).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The value of the sample of {@code name} whose labels are exactly {@code labels}. */
  public static double sample(String metrics, String name, String labels) {
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
  public static long logBytes(Path dataDir) throws IOException {
    try (Stream<Path> files = Files.walk(dataDir.resolve("topics"))) {
      return files
          .filter(p -> p.toString().endsWith(".log"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    }
  }

  /** Stops the publishers and subscribers, the clients and the broker. */
  @Override
  public void close() throws Exception {
    try {
      for (int i = owned.size() - 1; i >= 0; i--) {
        owned.get(i).close();
      }
    } finally {
      topics.close();
      subscriptions.close();
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      if (broker != null) {
        broker.close();
      }
    }
  }
}
