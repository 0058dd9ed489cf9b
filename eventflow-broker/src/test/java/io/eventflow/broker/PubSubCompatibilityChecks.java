package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.Durations;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.SeekRequest;
import com.google.pubsub.v1.Subscription;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Checks of the official client that any Pub/Sub implementation must pass, run against our broker
 * ({@link OfficialClientTest}) and against Google's emulator ({@link PubSubEmulatorContainerTest})
 * so that a divergence between the two shows up as a failure on one side.
 *
 * <p>They control no clock (the emulator has none to inject) and assume nothing Pub/Sub does not
 * promise: a pull may return fewer messages than are available, and order is not guaranteed without
 * ordering keys. Checks that need a manual clock stay in {@link OfficialClientTest}.
 */
abstract class PubSubCompatibilityChecks {
  /** A pull that must find the expected messages gives up after this many attempts. */
  private static final int MAX_PULLS = 20;

  /** The clients, connected to the implementation under test for the current test. */
  abstract BrokerFixture pubsub();

  /**
   * A published message is pulled with its id, data and attributes, and once acked it does not come
   * back, not even when its (spent) ack id is nacked.
   */
  @Test
  void publishedMessageIsPulledAndStaysAckedAfterAck() throws Exception {
    BrokerFixture pubsub = pubsub();
    pubsub.createTopicAndSubscription("orders", Subscription.newBuilder());
    String id = pubsub.publish(pubsub.publisher("orders"), "hello", Map.of("k", "v"));

    List<ReceivedMessage> received = pullAtLeast("orders-sub", 1);
    assertThat(received).hasSize(1);
    ReceivedMessage message = received.get(0);
    assertThat(message.getMessage().getMessageId()).isEqualTo(id);
    assertThat(message.getMessage().getData().toStringUtf8()).isEqualTo("hello");
    assertThat(message.getMessage().getAttributesMap()).containsEntry("k", "v");

    pubsub.subscriptions.acknowledge(subscription("orders-sub"), List.of(message.getAckId()));
    // Waiting out the ack deadline would take 10 s; a nack makes an unacked message deliverable
    // at once instead, so an empty pull right after it shows the ack really took.
    pubsub.subscriptions.modifyAckDeadline(
        subscription("orders-sub"), List.of(message.getAckId()), 0);
    assertThat(pubsub.pullNow("orders-sub", 10).getReceivedMessagesList()).isEmpty();
  }

  /** A nack through the streaming subscriber makes the message come back at once. */
  @Test
  void nackedMessageIsRedeliveredImmediately() throws Exception {
    BrokerFixture pubsub = pubsub();
    pubsub.createTopicAndSubscription("retry", Subscription.newBuilder());
    pubsub.publish(pubsub.publisher("retry"), "flaky", Map.of());

    LinkedBlockingQueue<String> deliveries = new LinkedBlockingQueue<>();
    pubsub.subscriber(
        "retry-sub",
        (message, reply) -> {
          boolean firstTime = deliveries.isEmpty();
          deliveries.add(message.getMessageId());
          if (firstTime) {
            reply.nack();
          } else {
            reply.ack();
          }
        });
    String first = deliveries.poll(10, TimeUnit.SECONDS);
    String second = deliveries.poll(10, TimeUnit.SECONDS);
    assertThat(second).isNotNull().isEqualTo(first);
  }

  /** Only messages whose attributes match the filter are delivered; the rest are acked. */
  @Test
  void filterDeliversOnlyMatchingMessages() throws Exception {
    BrokerFixture pubsub = pubsub();
    pubsub.createTopicAndSubscription(
        "events",
        Subscription.newBuilder()
            .setFilter(
                "attributes.type = \"click\" AND NOT hasPrefix(attributes.source, \"bot\")"));
    var publisher = pubsub.publisher("events");
    pubsub.publish(publisher, "1", Map.of("type", "click", "source", "web"));
    pubsub.publish(publisher, "2", Map.of("type", "view", "source", "web"));
    pubsub.publish(publisher, "3", Map.of("type", "click", "source", "bot-7"));
    pubsub.publish(publisher, "4", Map.of("type", "click"));

    List<ReceivedMessage> matching = pullAtLeast("events-sub", 2);
    assertThat(dataOf(matching)).containsExactlyInAnyOrder("1", "4");
    acknowledgeAll("events-sub", matching);
    assertThat(pubsub.pullNow("events-sub", 10).getReceivedMessagesList()).isEmpty();
  }

  /**
   * With acked messages retained, a seek to the first message's publish time delivers every message
   * again, acked or not.
   */
  @Test
  void seekToTimeReplaysAcknowledgedMessages() throws Exception {
    BrokerFixture pubsub = pubsub();
    pubsub.createTopicAndSubscription(
        "history",
        Subscription.newBuilder()
            .setRetainAckedMessages(true)
            .setMessageRetentionDuration(Durations.fromHours(1)));
    var publisher = pubsub.publisher("history");
    pubsub.publish(publisher, "a", Map.of());
    pubsub.publish(publisher, "b", Map.of());
    List<ReceivedMessage> first = pullAtLeast("history-sub", 2);
    assertThat(dataOf(first)).containsExactlyInAnyOrder("a", "b");
    acknowledgeAll("history-sub", first);

    // The server's own publish time, not the test's clock: the two need not agree.
    com.google.protobuf.Timestamp earliest =
        first.stream()
            .map(m -> m.getMessage().getPublishTime())
            .min(com.google.protobuf.util.Timestamps::compare)
            .orElseThrow();
    pubsub.subscriptions.seek(
        SeekRequest.newBuilder()
            .setSubscription(subscription("history-sub"))
            .setTime(earliest)
            .build());

    List<ReceivedMessage> replayed = pullAtLeast("history-sub", 2);
    assertThat(dataOf(replayed)).containsExactlyInAnyOrder("a", "b");
    acknowledgeAll("history-sub", replayed);
    assertThat(pubsub.pullNow("history-sub", 10).getReceivedMessagesList()).isEmpty();
  }

  /**
   * Pulls (waiting) until at least {@code count} messages arrived, since one pull may return fewer
   * than are available; returns what arrived, possibly more.
   */
  List<ReceivedMessage> pullAtLeast(String subscriptionId, int count) {
    List<ReceivedMessage> received = new ArrayList<>();
    for (int i = 0; i < MAX_PULLS && received.size() < count; i++) {
      received.addAll(pubsub().pullWaiting(subscriptionId, 10).getReceivedMessagesList());
    }
    return received;
  }

  /** Acknowledges every message of a pull response. */
  void acknowledgeAll(String subscriptionId, PullResponse response) {
    acknowledgeAll(subscriptionId, response.getReceivedMessagesList());
  }

  /** Acknowledges the given received messages. */
  void acknowledgeAll(String subscriptionId, List<ReceivedMessage> messages) {
    List<String> ids = new ArrayList<>();
    for (ReceivedMessage m : messages) {
      ids.add(m.getAckId());
    }
    pubsub().subscriptions.acknowledge(subscription(subscriptionId), ids);
  }

  /** The data of each message of a pull response, as UTF-8, in delivery order. */
  static List<String> dataOf(PullResponse response) {
    return dataOf(response.getReceivedMessagesList());
  }

  /** The data of each received message, as UTF-8, in delivery order. */
  static List<String> dataOf(List<ReceivedMessage> messages) {
    List<String> data = new ArrayList<>();
    for (ReceivedMessage m : messages) {
      data.add(m.getMessage().getData().toString(StandardCharsets.UTF_8));
    }
    return data;
  }
}
