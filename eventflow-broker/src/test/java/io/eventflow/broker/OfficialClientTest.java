package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.subscription;
import static io.eventflow.broker.BrokerFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.rpc.AlreadyExistsException;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.api.gax.rpc.UnimplementedException;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.ByteString;
import com.google.protobuf.util.Timestamps;
import com.google.pubsub.v1.DeadLetterPolicy;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.PushConfig;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.SeekRequest;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.Topic;
import io.eventflow.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official google-cloud-pubsub client against the broker over gRPC, unchanged: the checks
 * shared with Google's emulator ({@link PubSubCompatibilityChecks}) plus those that need the
 * broker's injected clock or are specific to it.
 */
class OfficialClientTest extends PubSubCompatibilityChecks {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private BrokerFixture pubsub;

  @BeforeEach
  void startBroker() throws Exception {
    pubsub =
        BrokerFixture.start(
            BrokerConfig.builder()
                .clock(clock)
                .leaseCheckInterval(Duration.ofMillis(20))
                .pullWait(Duration.ofSeconds(2))
                .build());
  }

  @AfterEach
  void stopBroker() throws Exception {
    pubsub.close();
  }

  @Override
  BrokerFixture pubsub() {
    return pubsub;
  }

  /**
   * A message published with the batching Publisher arrives over StreamingPull and, once acked, is
   * not delivered again.
   */
  @Test
  void publishedMessageIsStreamedAndStaysAckedAfterAck() throws Exception {
    pubsub.createTopicAndSubscription("orders", Subscription.newBuilder());
    Publisher publisher = pubsub.publisher("orders");
    String id = pubsub.publish(publisher, "hello", Map.of("k", "v"));

    LinkedBlockingQueue<PubsubMessage> received = new LinkedBlockingQueue<>();
    var subscriber =
        pubsub.subscriber(
            "orders-sub",
            (message, reply) -> {
              received.add(message);
              reply.ack();
            });
    PubsubMessage message = received.poll(10, TimeUnit.SECONDS);
    assertThat(message).isNotNull();
    assertThat(message.getMessageId()).isEqualTo(id);
    assertThat(message.getData().toStringUtf8()).isEqualTo("hello");
    assertThat(message.getAttributesMap()).containsEntry("k", "v");
    assertThat(Timestamps.toMillis(message.getPublishTime()))
        .isEqualTo(clock.instant().toEpochMilli());

    subscriber.stopAsync().awaitTerminated(10, TimeUnit.SECONDS);
    clock.advance(Duration.ofMinutes(10));
    assertThat(pubsub.pullNow("orders-sub", 10).getReceivedMessagesList()).isEmpty();
  }

  /**
   * The unacknowledged count an embedder waits on (the local stack drains with it) covers messages
   * not yet delivered and delivered but not yet acked, and reaches zero only when all are acked.
   */
  @Test
  void unacknowledgedCountsUndeliveredAndLeasedMessagesUntilAcked() throws Exception {
    pubsub.createTopicAndSubscription("drain", Subscription.newBuilder());
    Publisher publisher = pubsub.publisher("drain");
    for (int i = 0; i < 3; i++) {
      pubsub.publish(publisher, "m" + i, Map.of());
    }
    assertThat(pubsub.broker().unacknowledged(subscription("drain-sub"))).isEqualTo(3);

    PullResponse leased = pubsub.pullWaiting("drain-sub", 3);
    assertThat(pubsub.broker().unacknowledged(subscription("drain-sub"))).isEqualTo(3);
    pubsub.subscriptions.acknowledge(
        subscription("drain-sub"), List.of(leased.getReceivedMessages(2).getAckId()));
    assertThat(pubsub.broker().unacknowledged(subscription("drain-sub"))).isEqualTo(2);

    acknowledgeAll("drain-sub", leased);
    assertThat(pubsub.broker().unacknowledged(subscription("drain-sub"))).isZero();
  }

  /**
   * An embedder can acknowledge what a lazy consumer holds: only leased messages are acked, and the
   * undelivered count tells leased from not yet delivered.
   */
  @Test
  void acknowledgeLeasedAcksExactlyTheLeasedMessages() throws Exception {
    pubsub.createTopicAndSubscription("lazy", Subscription.newBuilder());
    Publisher publisher = pubsub.publisher("lazy");
    for (int i = 0; i < 5; i++) {
      pubsub.publish(publisher, "m" + i, Map.of());
    }
    assertThat(pubsub.broker().undelivered(subscription("lazy-sub"))).isEqualTo(5);
    PullResponse leased = pubsub.pullWaiting("lazy-sub", 2);
    int held = leased.getReceivedMessagesCount();
    assertThat(pubsub.broker().undelivered(subscription("lazy-sub"))).isEqualTo(5 - held);

    assertThat(pubsub.broker().acknowledgeLeased(subscription("lazy-sub"))).isEqualTo(held);
    assertThat(pubsub.broker().unacknowledged(subscription("lazy-sub"))).isEqualTo(5 - held);
    clock.advance(Duration.ofMinutes(10)); // past every deadline: nothing acked comes back
    List<String> rest = dataOf(pubsub.pullWaiting("lazy-sub", 10));
    assertThat(rest).hasSize(5 - held).doesNotContainAnyElementsOf(dataOf(leased));
  }

  /**
   * A message pulled and not acked within the ack deadline is delivered again, with the delivery
   * attempt counted when a dead-letter policy asks for it.
   */
  @Test
  void unackedMessageIsRedeliveredAfterItsDeadline() throws Exception {
    pubsub.topics.createTopic(topic("dead"));
    pubsub.createTopicAndSubscription(
        "slow",
        Subscription.newBuilder()
            .setAckDeadlineSeconds(30)
            .setDeadLetterPolicy(
                DeadLetterPolicy.newBuilder()
                    .setDeadLetterTopic(topic("dead"))
                    .setMaxDeliveryAttempts(10)));
    pubsub.publish(pubsub.publisher("slow"), "work", Map.of());

    ReceivedMessage first = pubsub.pullWaiting("slow-sub", 10).getReceivedMessages(0);
    assertThat(first.getDeliveryAttempt()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(29));
    pubsub.broker().engine().expireLeases(); // a lease check at 29 s must leave the lease alone
    assertThat(pubsub.pullNow("slow-sub", 10).getReceivedMessagesList()).isEmpty();

    clock.advance(Duration.ofSeconds(2));
    ReceivedMessage second = pubsub.pullWaiting("slow-sub", 10).getReceivedMessages(0);
    assertThat(second.getMessage().getMessageId()).isEqualTo(first.getMessage().getMessageId());
    assertThat(second.getDeliveryAttempt()).isEqualTo(2);
  }

  /** Extending the deadline keeps a message leased past its original deadline. */
  @Test
  void modifiedAckDeadlineDelaysRedelivery() throws Exception {
    pubsub.createTopicAndSubscription(
        "extend", Subscription.newBuilder().setAckDeadlineSeconds(10));
    pubsub.publish(pubsub.publisher("extend"), "long job", Map.of());
    ReceivedMessage m = pubsub.pullWaiting("extend-sub", 1).getReceivedMessages(0);

    pubsub.subscriptions.modifyAckDeadline(subscription("extend-sub"), List.of(m.getAckId()), 60);
    clock.advance(Duration.ofSeconds(30));
    // Run the lease check now rather than waiting for its timer: it must not expire the lease.
    pubsub.broker().engine().expireLeases();
    assertThat(pubsub.pullNow("extend-sub", 1).getReceivedMessagesList()).isEmpty();

    clock.advance(Duration.ofSeconds(31));
    assertThat(pubsub.pullWaiting("extend-sub", 1).getReceivedMessagesList()).hasSize(1);
  }

  /** A filter that does not parse is refused when the subscription is created. */
  @Test
  void unparseableFilterIsRejectedAtCreation() {
    pubsub.topics.createTopic(topic("filtered"));
    assertThatThrownBy(
            () ->
                pubsub.subscriptions.createSubscription(
                    Subscription.newBuilder()
                        .setName(subscription("bad-filter"))
                        .setTopic(topic("filtered"))
                        .setFilter("attributes.a = \"x\" AND attributes.b = \"y\" OR attributes:c")
                        .build()))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("AND and OR");
    assertThatThrownBy(() -> pubsub.subscriptions.getSubscription(subscription("bad-filter")))
        .isInstanceOf(NotFoundException.class);
  }

  /** With topic retention, a new subscription seeked to the past replays earlier messages. */
  @Test
  void seekToPastReplaysRetainedMessages() throws Exception {
    pubsub.topics.createTopic(
        Topic.newBuilder()
            .setName(topic("history"))
            .setMessageRetentionDuration(
                com.google.protobuf.Duration.newBuilder().setSeconds(86400))
            .build());
    Publisher publisher = pubsub.publisher("history");
    Instant start = clock.instant();
    pubsub.publish(publisher, "old-1", Map.of());
    clock.advance(Duration.ofSeconds(1));
    pubsub.publish(publisher, "old-2", Map.of());
    clock.advance(Duration.ofSeconds(1));

    pubsub.subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(subscription("replay"))
            .setTopic(topic("history"))
            .build());
    pubsub.publish(publisher, "new-1", Map.of());
    assertThat(dataOf(pubsub.pullWaiting("replay", 10))).containsExactly("new-1");

    pubsub.subscriptions.seek(
        SeekRequest.newBuilder()
            .setSubscription(subscription("replay"))
            .setTime(Timestamps.fromMillis(start.plusSeconds(1).toEpochMilli()))
            .build());
    PullResponse replayed = pubsub.pullWaiting("replay", 10);
    assertThat(dataOf(replayed)).containsExactly("old-2", "new-1");
    acknowledgeAll("replay", replayed);
    assertThat(pubsub.pullNow("replay", 10).getReceivedMessagesList()).isEmpty();
  }

  /** Acks made with ack ids handed out before a seek are ignored. */
  @Test
  void acksFromBeforeSeekAreIgnored() throws Exception {
    pubsub.createTopicAndSubscription(
        "rewind", Subscription.newBuilder().setRetainAckedMessages(true));
    Instant start = clock.instant();
    pubsub.publish(pubsub.publisher("rewind"), "a", Map.of());
    PullResponse before = pubsub.pullWaiting("rewind-sub", 10);
    pubsub.subscriptions.seek(
        SeekRequest.newBuilder()
            .setSubscription(subscription("rewind-sub"))
            .setTime(Timestamps.fromMillis(start.toEpochMilli()))
            .build());
    acknowledgeAll("rewind-sub", before);
    assertThat(dataOf(pubsub.pullWaiting("rewind-sub", 10))).containsExactly("a");
  }

  /**
   * After the maximum delivery attempts a message goes to the dead-letter topic, with Pub/Sub's
   * source attributes, and leaves the original subscription.
   */
  @Test
  void messagePastMaxDeliveryAttemptsIsDeadLettered() throws Exception {
    pubsub.topics.createTopic(topic("poison-dlq"));
    pubsub.subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(subscription("poison-dlq-sub"))
            .setTopic(topic("poison-dlq"))
            .build());
    pubsub.createTopicAndSubscription(
        "poison",
        Subscription.newBuilder()
            .setDeadLetterPolicy(
                DeadLetterPolicy.newBuilder()
                    .setDeadLetterTopic(topic("poison-dlq"))
                    .setMaxDeliveryAttempts(5)));
    pubsub.publish(pubsub.publisher("poison"), "bad", Map.of("k", "v"));

    Set<Integer> attempts = ConcurrentHashMap.newKeySet();
    pubsub.subscriber(
        "poison-sub",
        (message, reply) -> {
          attempts.add(com.google.cloud.pubsub.v1.Subscriber.getDeliveryAttempt(message));
          reply.nack();
        });
    PullResponse dead = pubsub.pullWaiting("poison-dlq-sub", 10);
    for (int i = 0; i < 20 && dead.getReceivedMessagesCount() == 0; i++) {
      dead = pubsub.pullWaiting("poison-dlq-sub", 10);
    }
    assertThat(dataOf(dead)).containsExactly("bad");
    Map<String, String> attributes = dead.getReceivedMessages(0).getMessage().getAttributesMap();
    assertThat(attributes)
        .containsEntry("k", "v")
        .containsEntry("CloudPubSubDeadLetterSourceDeliveryCount", "5")
        .containsEntry("CloudPubSubDeadLetterSourceSubscription", "poison-sub");
    assertThat(attempts).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
  }

  /**
   * Several publishers and several subscriber clients on one subscription: every message is
   * delivered and acked, none lost.
   */
  @Test
  void concurrentPublishersAndSubscribersSeeEveryMessage() throws Exception {
    pubsub.createTopicAndSubscription("busy", Subscription.newBuilder().setAckDeadlineSeconds(60));
    int publishers = 4;
    int perPublisher = 2_500;
    Set<String> received = ConcurrentHashMap.newKeySet();
    CountDownLatch all = new CountDownLatch(publishers * perPublisher);
    for (int s = 0; s < 3; s++) {
      pubsub.subscriber(
          "busy-sub",
          (message, reply) -> {
            if (received.add(message.getData().toStringUtf8())) {
              all.countDown();
            }
            reply.ack();
          });
    }
    ExecutorService pool = Executors.newFixedThreadPool(publishers);
    List<Future<?>> done = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      int publisherIndex = p;
      Publisher publisher = pubsub.publisher("busy");
      done.add(
          pool.submit(
              () -> {
                List<com.google.api.core.ApiFuture<String>> ids = new ArrayList<>();
                for (int i = 0; i < perPublisher; i++) {
                  ids.add(
                      publisher.publish(
                          PubsubMessage.newBuilder()
                              .setData(ByteString.copyFromUtf8(publisherIndex + "-" + i))
                              .build()));
                }
                return com.google.api.core.ApiFutures.allAsList(ids).get(30, TimeUnit.SECONDS);
              }));
    }
    Set<String> ids = ConcurrentHashMap.newKeySet();
    for (Future<?> f : done) {
      @SuppressWarnings("unchecked")
      List<String> batch = (List<String>) f.get(60, TimeUnit.SECONDS);
      ids.addAll(batch);
    }
    pool.shutdown();
    assertThat(ids).hasSize(publishers * perPublisher);
    assertThat(all.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(received).hasSize(publishers * perPublisher);
  }

  /** Admin calls answer with Pub/Sub's status codes. */
  @Test
  void badAdminRequestsAnswerPubSubStatusCodes() {
    pubsub.topics.createTopic(topic("exists"));
    assertThatThrownBy(() -> pubsub.topics.createTopic(topic("exists")))
        .isInstanceOf(AlreadyExistsException.class);
    assertThatThrownBy(() -> pubsub.topics.getTopic(topic("missing")))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> pubsub.topics.createTopic(BrokerFixture.PROJECT + "/topics/x"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("3-255 characters");
    assertThatThrownBy(
            () ->
                pubsub.subscriptions.createSubscription(
                    subscription("orphan"), topic("missing"), PushConfig.getDefaultInstance(), 10))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(
            () ->
                pubsub.subscriptions.createSubscription(
                    subscription("too-slow"),
                    topic("exists"),
                    PushConfig.getDefaultInstance(),
                    601))
        .isInstanceOf(InvalidArgumentException.class);
  }

  /** Malformed publishes are refused whole, and nothing of them reaches subscribers. */
  @Test
  void malformedPublishIsRejectedAndNothingIsDelivered() {
    pubsub.createTopicAndSubscription("strict", Subscription.newBuilder());
    assertThatThrownBy(
            () ->
                pubsub.topics.publish(
                    PublishRequest.newBuilder()
                        .setTopic(topic("strict"))
                        .addMessages(
                            PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("ok")))
                        .addMessages(PubsubMessage.getDefaultInstance())
                        .build()))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(
            () ->
                pubsub.topics.publish(
                    PublishRequest.newBuilder().setTopic(topic("strict")).build()))
        .isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(
            () -> pubsub.subscriptions.acknowledge(subscription("strict-sub"), List.of("garbage")))
        .isInstanceOf(InvalidArgumentException.class);
    assertThat(pubsub.pullNow("strict-sub", 10).getReceivedMessagesList()).isEmpty();
  }

  /** Calls the broker does not implement say so, by name. */
  @Test
  void unsupportedCallsAnswerUnimplemented() {
    pubsub.createTopicAndSubscription("plain", Subscription.newBuilder());
    assertThatThrownBy(
            () ->
                pubsub.subscriptions.createSubscription(
                    Subscription.newBuilder()
                        .setName(subscription("exactly"))
                        .setTopic(topic("plain"))
                        .setEnableExactlyOnceDelivery(true)
                        .build()))
        .isInstanceOf(UnimplementedException.class)
        .hasMessageContaining("exactly-once");
    assertThatThrownBy(
            () ->
                pubsub.subscriptions.createSubscription(
                    Subscription.newBuilder()
                        .setName(subscription("pushy"))
                        .setTopic(topic("plain"))
                        .setPushConfig(PushConfig.newBuilder().setPushEndpoint("https://x"))
                        .build()))
        .isInstanceOf(UnimplementedException.class)
        .hasMessageContaining("push");
  }

  /** Deleting a topic detaches its subscriptions, as Pub/Sub does. */
  @Test
  void deletingTopicDetachesItsSubscriptions() {
    pubsub.createTopicAndSubscription("gone", Subscription.newBuilder());
    pubsub.topics.deleteTopic(topic("gone"));
    assertThat(pubsub.subscriptions.getSubscription(subscription("gone-sub")).getTopic())
        .isEqualTo("_deleted-topic_");
    assertThatThrownBy(() -> pubsub.topics.getTopic(topic("gone")))
        .isInstanceOf(NotFoundException.class);
  }
}
