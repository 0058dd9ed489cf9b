package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.subscription;
import static io.eventflow.broker.BrokerFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.core.ApiFuture;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.Subscription;
import io.eventflow.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordering keys through the official client: the publisher's ordering mode, and subscriptions with
 * {@code enable_message_ordering} delivering each key in publish order, one batch at a time, and
 * redelivering a key's batch in order after a nack or an expired lease.
 */
class OrderingKeysTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private BrokerFixture pubsub;

  @TempDir Path dataDir;

  @AfterEach
  void stopBroker() throws Exception {
    if (pubsub != null) {
      pubsub.close();
    }
  }

  private void start(boolean durable) throws Exception {
    BrokerConfig.Builder config =
        BrokerConfig.builder().clock(clock).leaseCheckInterval(Duration.ofHours(1));
    if (durable) {
      config.dataDir(dataDir);
    }
    pubsub = BrokerFixture.start(config.build());
  }

  /**
   * Eight keys published concurrently by the official publisher in ordering mode and consumed by
   * the official subscriber, which nacks a seeded random tenth of the deliveries: every key arrives
   * in publish order, a nack brings back that key's batch from the nacked message on (never a gap),
   * and every message is eventually acknowledged.
   */
  @Test
  void concurrentKeysArriveInOrderUnderRandomNacks() throws Exception {
    long seed = System.nanoTime();
    System.out.println("OrderingKeysTest seed: " + seed);
    Random random = new Random(seed);
    start(false);
    pubsub.createTopicAndSubscription(
        "ordered", Subscription.newBuilder().setEnableMessageOrdering(true));
    int keys = 8;
    int perKey = 200;
    Map<String, List<Integer>> received = new ConcurrentHashMap<>();
    Map<String, Set<Integer>> acked = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(keys * perKey);
    pubsub.subscriber(
        "ordered-sub",
        (message, reply) -> {
          String key = message.getOrderingKey();
          int seq = Integer.parseInt(message.getData().toStringUtf8());
          received
              .computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>()))
              .add(seq);
          boolean nack;
          synchronized (random) {
            nack = random.nextInt(10) == 0;
          }
          if (nack) {
            reply.nack();
          } else {
            if (acked.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(seq)) {
              done.countDown();
            }
            reply.ack();
          }
        });

    Publisher publisher = orderedPublisher("ordered");
    List<ApiFuture<String>> ids = new ArrayList<>();
    for (int i = 0; i < perKey; i++) {
      for (int k = 0; k < keys; k++) {
        ids.add(publisher.publish(message("key-" + k, Integer.toString(i))));
      }
    }
    for (ApiFuture<String> id : ids) {
      id.get(10, TimeUnit.SECONDS);
    }

    assertThat(done.await(60, TimeUnit.SECONDS))
        .as("all messages acknowledged (seed %d)", seed)
        .isTrue();
    assertThat(received).hasSize(keys);
    for (Map.Entry<String, List<Integer>> e : received.entrySet()) {
      List<Integer> seqs;
      synchronized (e.getValue()) {
        seqs = List.copyOf(e.getValue());
      }
      assertThat(seqs.get(0)).as("first of %s (seed %d)", e.getKey(), seed).isZero();
      for (int i = 1; i < seqs.size(); i++) {
        int previous = seqs.get(i - 1);
        int current = seqs.get(i);
        assertThat(current == previous + 1 || current <= previous)
            .as(
                "%s received %d after %d: neither the next message nor a redelivery (seed %d)",
                e.getKey(), current, previous, seed)
            .isTrue();
      }
    }
  }

  /**
   * One outstanding batch per key: while a key's batch is unacknowledged, later messages of that
   * key wait (other keys and unkeyed messages do not); an expired lease in the middle of the batch
   * redelivers the batch from there, in order, followed by the messages that waited.
   */
  @Test
  void aKeyWaitsForItsBatchAndAnExpiredLeaseRedeliversItInOrder() throws Exception {
    start(false);
    pubsub.createTopicAndSubscription(
        "batches",
        Subscription.newBuilder().setEnableMessageOrdering(true).setAckDeadlineSeconds(10));
    Publisher publisher = orderedPublisher("batches");
    for (int i = 0; i < 3; i++) {
      publisher.publish(message("a", "a" + i)).get(10, TimeUnit.SECONDS);
    }
    PullResponse first = pubsub.pullNow("batches-sub", 10);
    assertThat(data(first)).containsExactly("a0", "a1", "a2");

    publisher.publish(message("a", "a3")).get(10, TimeUnit.SECONDS);
    publisher.publish(message("b", "b0")).get(10, TimeUnit.SECONDS);
    publisher.publish(message("", "free")).get(10, TimeUnit.SECONDS);
    PullResponse others = pubsub.pullNow("batches-sub", 10);
    assertThat(data(others)).containsExactly("b0", "free");
    acknowledgeAll("batches-sub", others);

    // a0 and a2 acknowledged, a1 not: the key still has a batch outstanding.
    pubsub.subscriptions.acknowledge(
        subscription("batches-sub"), List.of(ackId(first, 0), ackId(first, 2)));
    assertThat(pubsub.pullNow("batches-sub", 10).getReceivedMessagesList()).isEmpty();

    clock.advance(Duration.ofSeconds(11));
    pubsub.broker().engine().expireLeases();
    // a1 expired: it and everything after it in key a come back in order, a2 although acked.
    PullResponse again = pubsub.pullNow("batches-sub", 10);
    assertThat(data(again)).containsExactly("a1", "a2", "a3");
    acknowledgeAll("batches-sub", again);
    assertThat(pubsub.broker().unacknowledged(subscription("batches-sub"))).isZero();
  }

  /**
   * A nack (the official client's {@code modifyAckDeadline 0}) of the first message of a key's
   * batch redelivers the whole batch in order, the messages acknowledged after it included.
   */
  @Test
  void aNackRedeliversTheKeysBatchFromTheNackedMessage() throws Exception {
    start(false);
    pubsub.createTopicAndSubscription(
        "nacks", Subscription.newBuilder().setEnableMessageOrdering(true));
    Publisher publisher = orderedPublisher("nacks");
    for (int i = 0; i < 4; i++) {
      publisher.publish(message("k", "k" + i)).get(10, TimeUnit.SECONDS);
    }
    PullResponse batch = pubsub.pullNow("nacks-sub", 10);
    assertThat(data(batch)).containsExactly("k0", "k1", "k2", "k3");
    pubsub.subscriptions.acknowledge(
        subscription("nacks-sub"), List.of(ackId(batch, 0), ackId(batch, 2), ackId(batch, 3)));
    pubsub.subscriptions.modifyAckDeadline(subscription("nacks-sub"), List.of(ackId(batch, 1)), 0);

    PullResponse again = pubsub.pullNow("nacks-sub", 10);
    assertThat(data(again)).containsExactly("k1", "k2", "k3");
    acknowledgeAll("nacks-sub", again);
    assertThat(pubsub.broker().unacknowledged(subscription("nacks-sub"))).isZero();
  }

  /**
   * A subscription without ordering gets a key's messages without waiting for acks, while an
   * ordered subscription on the same topic holds them back.
   */
  @Test
  void anUnorderedSubscriptionIgnoresOrderingKeys() throws Exception {
    start(false);
    pubsub.topics.createTopic(topic("mixed"));
    pubsub.subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(subscription("mixed-unordered"))
            .setTopic(topic("mixed"))
            .build());
    pubsub.subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(subscription("mixed-ordered"))
            .setTopic(topic("mixed"))
            .setEnableMessageOrdering(true)
            .build());
    Publisher publisher = orderedPublisher("mixed");
    publisher.publish(message("k", "k0")).get(10, TimeUnit.SECONDS);
    assertThat(data(pubsub.pullNow("mixed-unordered", 1))).containsExactly("k0");
    assertThat(data(pubsub.pullNow("mixed-ordered", 1))).containsExactly("k0");
    publisher.publish(message("k", "k1")).get(10, TimeUnit.SECONDS);
    assertThat(data(pubsub.pullNow("mixed-unordered", 1))).containsExactly("k1");
    assertThat(pubsub.pullNow("mixed-ordered", 1).getReceivedMessagesList()).isEmpty();
  }

  /**
   * After a restart nothing of the in-memory key state is left, yet a key's unacknowledged messages
   * come back in publish order, from its first unacknowledged one.
   */
  @Test
  void orderSurvivesARestart() throws Exception {
    start(true);
    pubsub.createTopicAndSubscription(
        "durable", Subscription.newBuilder().setEnableMessageOrdering(true));
    Publisher publisher = orderedPublisher("durable");
    for (int i = 0; i < 3; i++) {
      publisher.publish(message("k", "k" + i)).get(10, TimeUnit.SECONDS);
    }
    PullResponse batch = pubsub.pullNow("durable-sub", 10);
    pubsub.subscriptions.acknowledge(
        subscription("durable-sub"), List.of(ackId(batch, 0), ackId(batch, 2)));
    pubsub.close();
    pubsub = null;

    start(true);
    PullResponse after = pubsub.pullNow("durable-sub", 10);
    assertThat(data(after)).containsExactly("k1", "k2");
  }

  /** Pub/Sub refuses a publish request whose messages have different ordering keys. */
  @Test
  void aPublishRequestWithTwoOrderingKeysIsRejected() throws Exception {
    start(false);
    pubsub.topics.createTopic(topic("two-keys"));
    assertThatThrownBy(
            () ->
                pubsub.topics.publish(
                    topic("two-keys"), List.of(message("a", "1"), message("b", "2"))))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("same ordering key");
    assertThatThrownBy(
            () -> pubsub.topics.publish(topic("two-keys"), List.of(message("x".repeat(1025), "1"))))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("ordering key must be at most 1024 bytes");
  }

  private Publisher orderedPublisher(String topicId) throws Exception {
    return pubsub.publisher(topicId, builder -> builder.setEnableMessageOrdering(true));
  }

  private static PubsubMessage message(String key, String data) {
    return PubsubMessage.newBuilder()
        .setOrderingKey(key)
        .setData(ByteString.copyFromUtf8(data))
        .build();
  }

  private static List<String> data(PullResponse response) {
    List<String> out = new ArrayList<>();
    for (ReceivedMessage m : response.getReceivedMessagesList()) {
      out.add(m.getMessage().getData().toStringUtf8());
    }
    return out;
  }

  private static String ackId(PullResponse response, int index) {
    return response.getReceivedMessages(index).getAckId();
  }

  private void acknowledgeAll(String subscriptionId, PullResponse response) {
    Set<String> ids = new HashSet<>();
    for (ReceivedMessage m : response.getReceivedMessagesList()) {
      ids.add(m.getAckId());
    }
    pubsub.subscriptions.acknowledge(subscription(subscriptionId), List.copyOf(ids));
  }
}
