package io.eventflow.mqtt;

import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.Subscription;
import io.eventflow.broker.BrokerFixture;
import io.eventflow.testing.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * The Pub/Sub side of the bridge's tests: eventflow-broker, durable under a directory, on a free
 * loopback port ({@link BrokerFixture}, from the broker's test-jar), with the bridge's two topics,
 * a subscription to each, and the official streaming-pull Subscriber collecting what arrives. It
 * can be stopped and started again on the same port and directory, to play a Pub/Sub outage.
 */
final class PubSubFixture implements AutoCloseable {
  static final String PROJECT = BrokerFixture.PROJECT_ID;
  static final String EVENTS = "events";
  static final String DEAD_LETTERS = "mqtt-dead-letters";

  private final BrokerFixture broker;

  /** Messages of the events subscription, in arrival order (redeliveries included). */
  final List<PubsubMessage> events = new CopyOnWriteArrayList<>();

  /** Messages of the dead-letter subscription, in arrival order. */
  final List<PubsubMessage> deadLetters = new CopyOnWriteArrayList<>();

  private PubSubFixture(Path dir) throws IOException {
    broker = BrokerFixture.startDurable(dir);
    collect(EVENTS, events);
    collect(DEAD_LETTERS, deadLetters);
  }

  /** Starts the broker under {@code dir} with both topics and subscriptions, and the collectors. */
  static PubSubFixture start(Path dir) throws IOException {
    return new PubSubFixture(dir);
  }

  private void collect(String topic, List<PubsubMessage> into) {
    String subscription =
        broker.createTopicAndSubscription(
            topic, Subscription.newBuilder().setAckDeadlineSeconds(60));
    broker.subscriber(
        subscription,
        (message, consumer) -> {
          into.add(message);
          consumer.ack();
        });
  }

  /** Returns the broker's {@code host:port}, the bridge's emulator host. */
  String hostAndPort() {
    return broker.hostAndPort();
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
    broker.stop();
  }

  /** Starts the broker again on the same port and directory. */
  void restart() throws IOException {
    broker.restart();
  }

  /**
   * Waits until the condition holds (see {@link Await#until}: a 60 s bound, not a timing check).
   */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    Await.until(what, condition);
  }

  /** Stops the collectors, the clients and the broker. */
  @Override
  public void close() throws Exception {
    broker.close();
  }
}
