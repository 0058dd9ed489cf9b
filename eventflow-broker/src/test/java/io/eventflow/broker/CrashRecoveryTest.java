package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutures;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.Subscription;
import io.eventflow.broker.log.FsyncPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker runs in a child JVM that is killed with SIGKILL mid-flight; a new broker on the same
 * data directory must have every publish the client saw acknowledged and must not redeliver any
 * message the client acknowledged.
 */
class CrashRecoveryTest {
  private static final Duration WAIT = ChildBroker.WAIT;

  @TempDir Path dataDir;

  @Test
  void killedBrokerLosesNoAcknowledgedPublishAndRedeliversNoAckedMessage() throws Exception {
    Set<String> published = new HashSet<>();
    Set<String> acked = new HashSet<>();
    Process child = startChildBroker(dataDir);
    try {
      String address = ChildBroker.awaitReady(child);
      try (BrokerFixture pubsub = BrokerFixture.connect(address)) {
        pubsub.createTopicAndSubscription("durable", Subscription.newBuilder());
        Publisher publisher = pubsub.publisher("durable");
        List<ApiFuture<String>> ids = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
          ids.add(
              publisher.publish(
                  PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("m" + i)).build()));
        }
        published.addAll(ApiFutures.allAsList(ids).get(30, TimeUnit.SECONDS));

        // Ack about a third; leave another batch pulled but unacknowledged.
        ChildBroker.Deadline acking =
            new ChildBroker.Deadline(WAIT, "1,000 messages pulled and acknowledged");
        while (acked.size() < 1_000) {
          acking.check();
          PullResponse response = pubsub.pullWaiting("durable-sub", 250);
          List<String> ackIds = new ArrayList<>();
          for (ReceivedMessage m : response.getReceivedMessagesList()) {
            ackIds.add(m.getAckId());
            acked.add(m.getMessage().getMessageId());
          }
          pubsub.subscriptions.acknowledge(subscription("durable-sub"), ackIds);
        }
        assertThat(pubsub.pullWaiting("durable-sub", 100).getReceivedMessagesCount()).isPositive();
        child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } finally {
      child.destroyForcibly();
    }

    Set<String> redelivered = new HashSet<>();
    try (BrokerFixture pubsub =
        BrokerFixture.start(BrokerConfig.builder().dataDir(dataDir).build())) {
      ChildBroker.Deadline draining =
          new ChildBroker.Deadline(WAIT, "the restarted broker's backlog drained");
      while (true) {
        draining.check();
        PullResponse response = pubsub.pullNow("durable-sub", 1000);
        if (response.getReceivedMessagesCount() == 0) {
          break;
        }
        List<String> ackIds = new ArrayList<>();
        for (ReceivedMessage m : response.getReceivedMessagesList()) {
          redelivered.add(m.getMessage().getMessageId());
          ackIds.add(m.getAckId());
        }
        pubsub.subscriptions.acknowledge(subscription("durable-sub"), ackIds);
      }
    }

    Set<String> expected = new HashSet<>(published);
    expected.removeAll(acked);
    assertThat(published).hasSize(3_000);
    assertThat(redelivered).doesNotContainAnyElementsOf(acked);
    assertThat(redelivered).isEqualTo(expected);
  }

  /** A clean close and reopen keeps topics, subscriptions and the ack state. */
  @Test
  void restartKeepsTopicsSubscriptionsAndAcks() throws Exception {
    BrokerConfig config = BrokerConfig.builder().dataDir(dataDir).fsync(FsyncPolicy.ALWAYS).build();
    String firstId;
    try (BrokerFixture pubsub = BrokerFixture.start(config)) {
      pubsub.createTopicAndSubscription(
          "kept", Subscription.newBuilder().setAckDeadlineSeconds(42));
      Publisher publisher = pubsub.publisher("kept");
      firstId = pubsub.publish(publisher, "first", java.util.Map.of());
      pubsub.publish(publisher, "second", java.util.Map.of());
      ReceivedMessage first = pubsub.pullWaiting("kept-sub", 1).getReceivedMessages(0);
      assertThat(first.getMessage().getMessageId()).isEqualTo(firstId);
      pubsub.subscriptions.acknowledge(subscription("kept-sub"), List.of(first.getAckId()));
    }
    try (BrokerFixture pubsub = BrokerFixture.start(config)) {
      assertThat(
              pubsub
                  .subscriptions
                  .getSubscription(subscription("kept-sub"))
                  .getAckDeadlineSeconds())
          .isEqualTo(42);
      PullResponse after = pubsub.pullWaiting("kept-sub", 10);
      assertThat(after.getReceivedMessagesList())
          .extracting(m -> m.getMessage().getData().toStringUtf8())
          .containsExactly("second");
      String thirdId = pubsub.publish(pubsub.publisher("kept"), "third", java.util.Map.of());
      assertThat(Long.parseLong(thirdId)).isGreaterThan(Long.parseLong(firstId) + 1);
    }
  }

  private static Process startChildBroker(Path dataDir) throws Exception {
    return ChildBroker.start(
        BrokerMain.class, "--data-dir", dataDir.toString(), "--port", "0", "--fsync", "never");
  }
}
