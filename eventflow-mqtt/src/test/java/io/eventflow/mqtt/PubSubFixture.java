package io.eventflow.mqtt;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.TopicName;
import io.eventflow.broker.Broker;
import io.eventflow.broker.BrokerConfig;
import io.eventflow.publisher.PubSubAdmin;
import io.eventflow.testing.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The Pub/Sub side of the bridge's tests: eventflow-broker, durable under a directory, on a free
 * loopback port, with the bridge's two topics, a subscription to each, and the official
 * streaming-pull Subscriber collecting what arrives. It can be stopped and started again on the
 * same port and directory, to play a Pub/Sub outage.
 */
final class PubSubFixture implements AutoCloseable {
  static final String PROJECT = "demo";
  static final String EVENTS = "events";
  static final String DEAD_LETTERS = "mqtt-dead-letters";

  private final Path dir;
  private final int port;
  private Broker broker;
  private final PubSubAdmin admin;
  private final List<Subscriber> subscribers = new ArrayList<>();

  /** Messages of the events subscription, in arrival order (redeliveries included). */
  final List<PubsubMessage> events = new CopyOnWriteArrayList<>();

  /** Messages of the dead-letter subscription, in arrival order. */
  final List<PubsubMessage> deadLetters = new CopyOnWriteArrayList<>();

  private PubSubFixture(Path dir) throws IOException {
    this.dir = dir;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    startBroker();
    admin = PubSubAdmin.connect(hostAndPort());
    for (String topic : List.of(EVENTS, DEAD_LETTERS)) {
      admin.createTopic(TopicName.of(PROJECT, topic));
      admin.createSubscription(
          Subscription.newBuilder()
              .setName("projects/" + PROJECT + "/subscriptions/" + topic + "-sub")
              .setTopic(TopicName.of(PROJECT, topic).toString())
              .setAckDeadlineSeconds(60)
              .build());
    }
    collect(EVENTS, events);
    collect(DEAD_LETTERS, deadLetters);
  }

  /** Starts the broker under {@code dir} with both topics and subscriptions, and the collectors. */
  static PubSubFixture start(Path dir) throws IOException {
    return new PubSubFixture(dir);
  }

  private void startBroker() throws IOException {
    broker = Broker.start(BrokerConfig.builder().host("127.0.0.1").port(port).dataDir(dir).build());
  }

  private void collect(String topic, List<PubsubMessage> into) {
    MessageReceiver receiver =
        (message, consumer) -> {
          into.add(message);
          consumer.ack();
        };
    Subscriber subscriber =
        Subscriber.newBuilder("projects/" + PROJECT + "/subscriptions/" + topic + "-sub", receiver)
            .setChannelProvider(admin.channelProvider())
            .setCredentialsProvider(NoCredentialsProvider.create())
            .build();
    subscriber.startAsync().awaitRunning();
    subscribers.add(subscriber);
  }

  /** Returns the broker's {@code host:port}, the bridge's emulator host. */
  String hostAndPort() {
    return "127.0.0.1:" + port;
  }

  /** A bridge configuration builder publishing here, for the MQTT broker at {@code uri}. */
  BridgeConfig.Builder bridgeTo(String uri) {
    return BridgeConfig.builder(uri)
        .project(PROJECT)
        .emulatorHost(hostAndPort())
        .topics(EVENTS, DEAD_LETTERS)
        // Short backoff: tests restart brokers and should not wait a minute for the retry.
        .reconnectDelays(java.time.Duration.ofMillis(100), java.time.Duration.ofSeconds(1));
  }

  /** Stops the broker: Pub/Sub is unavailable until {@link #restart()}. */
  void stop() throws IOException {
    broker.close();
  }

  /** Starts the broker again on the same port and directory. */
  void restart() throws IOException {
    startBroker();
  }

  /**
   * Waits until the condition holds (see {@link Await#until}: a 60 s bound, not a timing check).
   */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    Await.until(what, condition);
  }

  @Override
  public void close() throws IOException, java.util.concurrent.TimeoutException {
    for (Subscriber subscriber : subscribers) {
      subscriber.stopAsync().awaitTerminated(10, TimeUnit.SECONDS);
    }
    admin.close();
    broker.close();
  }
}
