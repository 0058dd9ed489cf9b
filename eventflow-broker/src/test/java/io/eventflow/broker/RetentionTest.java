package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.subscription;
import static io.eventflow.broker.BrokerFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.Topic;
import io.eventflow.testing.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Segments are deleted once no subscription needs them and they are past topic retention. */
class RetentionTest {
  @TempDir Path dataDir;
  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

  private BrokerFixture start() throws Exception {
    return BrokerFixture.start(
        BrokerConfig.builder()
            .dataDir(dataDir)
            .segmentBytes(1024)
            .clock(clock)
            .retentionCheckInterval(Duration.ofHours(1))
            .build());
  }

  @Test
  void fullyAckedSegmentsAreDeletedAndUnackedOnesKept() throws Exception {
    try (BrokerFixture pubsub = start()) {
      pubsub.createTopicAndSubscription("short", Subscription.newBuilder());
      var publisher = pubsub.publisher("short");
      for (int i = 0; i < 40; i++) {
        pubsub.publish(publisher, "x".repeat(100), Map.of());
      }
      long before = segmentFiles("short");
      assertThat(before).isGreaterThan(3);

      pubsub.broker().applyRetention();
      assertThat(segmentFiles("short")).isEqualTo(before);

      ackAll(pubsub, "short-sub");
      pubsub.broker().applyRetention();
      assertThat(segmentFiles("short")).isEqualTo(1);
    }
  }

  @Test
  void topicRetentionKeepsAckedSegmentsUntilTheyAge() throws Exception {
    try (BrokerFixture pubsub = start()) {
      pubsub.topics.createTopic(
          Topic.newBuilder()
              .setName(topic("kept"))
              .setMessageRetentionDuration(
                  com.google.protobuf.Duration.newBuilder().setSeconds(3600))
              .build());
      pubsub.subscriptions.createSubscription(
          Subscription.newBuilder()
              .setName(subscription("kept-sub"))
              .setTopic(topic("kept"))
              .build());
      var publisher = pubsub.publisher("kept");
      for (int i = 0; i < 40; i++) {
        pubsub.publish(publisher, "y".repeat(100), Map.of());
      }
      ackAll(pubsub, "kept-sub");
      long before = segmentFiles("kept");
      pubsub.broker().applyRetention();
      assertThat(segmentFiles("kept")).isEqualTo(before);

      clock.advance(Duration.ofMinutes(61));
      pubsub.broker().applyRetention();
      assertThat(segmentFiles("kept")).isEqualTo(1);
    }
  }

  private static void ackAll(BrokerFixture pubsub, String subscriptionId) {
    while (true) {
      PullResponse response = pubsub.pullNow(subscriptionId, 1000);
      if (response.getReceivedMessagesCount() == 0) {
        return;
      }
      List<String> ids = new ArrayList<>();
      for (ReceivedMessage m : response.getReceivedMessagesList()) {
        ids.add(m.getAckId());
      }
      pubsub.subscriptions.acknowledge(subscription(subscriptionId), ids);
    }
  }

  private long segmentFiles(String topicId) throws Exception {
    Path dir =
        dataDir
            .resolve("topics")
            .resolve(
                java.net.URLEncoder.encode(
                    topic(topicId), java.nio.charset.StandardCharsets.UTF_8));
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".log")).count();
    }
  }
}
