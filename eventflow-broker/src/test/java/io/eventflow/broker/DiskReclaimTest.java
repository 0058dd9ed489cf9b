package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.PROJECT;
import static io.eventflow.broker.BrokerFixture.subscription;
import static io.eventflow.broker.BrokerFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.SeekRequest;
import com.google.pubsub.v1.Subscription;
import io.eventflow.testing.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk is given back: log segments nothing needs are deleted, mostly acknowledged ones are
 * compacted, and whatever a subscription, a snapshot or retention still needs stays deliverable,
 * exactly once, before and after a restart.
 */
class DiskReclaimTest {
  /** About 27 messages of ~150 stored bytes per 4 KiB segment. */
  private static final int MESSAGES = 400;

  @TempDir Path dataDir;
  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private BrokerFixture pubsub;

  private void start() throws Exception {
    pubsub =
        BrokerFixture.start(
            BrokerConfig.builder()
                .dataDir(dataDir)
                .segmentBytes(4096)
                .clock(clock)
                .retentionCheckInterval(Duration.ofHours(1))
                .build());
  }

  private void restart() throws Exception {
    pubsub.close();
    start();
  }

  @AfterEach
  void stop() throws Exception {
    if (pubsub != null) {
      pubsub.close();
    }
  }

  /**
   * Two subscriptions each acknowledge a random nine in ten (seed printed; rerun one with {@code
   * -Dreclaim.seed=N}): compaction keeps what either still needs and the log shrinks to about a
   * fifth. A nack redelivers from the compacted segments; after a restart each subscription gets
   * exactly what it had not acknowledged. The counters at {@code /metrics} add up to the bytes the
   * files lost.
   */
  @Test
  void mostlyAcknowledgedSegmentsAreCompactedAndWhatIsUnacknowledgedStaysDeliverable()
      throws Exception {
    long seed = Long.getLong("reclaim.seed", System.nanoTime());
    System.out.println("mostlyAcknowledgedSegmentsAreCompacted seed=" + seed);
    Random random = new Random(seed);
    start();
    createTopicWithSubscriptions("reclaim", "reclaim-a", "reclaim-b");
    pubsub.publishNumbered("reclaim", MESSAGES);
    Map<String, Map<String, String>> unacked = new HashMap<>();
    for (String sub : List.of("reclaim-a", "reclaim-b")) {
      Map<String, String> left = new HashMap<>();
      List<String> ackIds = new ArrayList<>();
      for (ReceivedMessage m : pubsub.pullAll(sub, MESSAGES)) {
        if (random.nextInt(10) == 0) {
          left.put(m.getMessage().getMessageId(), m.getAckId());
        } else {
          ackIds.add(m.getAckId());
        }
      }
      pubsub.subscriptions.acknowledge(subscription(sub), ackIds);
      unacked.put(sub, left);
    }
    long before = BrokerFixture.logBytes(dataDir);

    pubsub.broker().applyRetention();

    long after = BrokerFixture.logBytes(dataDir);
    assertThat(after).as("seed %d", seed).isLessThan(before / 2);
    String metrics = pubsub.metrics();
    String labels = "topic=\"" + topic("reclaim") + "\"";
    assertThat(
            BrokerFixture.sample(metrics, "eventflow_broker_log_segments_compacted_total", labels))
        .isPositive();
    assertThat(BrokerFixture.sample(metrics, "eventflow_broker_log_reclaimed_bytes_total", labels))
        .isEqualTo(before - after);

    pubsub.subscriptions.modifyAckDeadline(
        subscription("reclaim-a"), List.copyOf(unacked.get("reclaim-a").values()), 0);
    assertThat(pubsub.drain("reclaim-a"))
        .as("seed %d", seed)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(unacked.get("reclaim-a").keySet());

    restart();
    assertThat(pubsub.drain("reclaim-a")).isEmpty();
    assertThat(pubsub.drain("reclaim-b"))
        .as("seed %d", seed)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(unacked.get("reclaim-b").keySet());
  }

  /**
   * One message nobody acknowledges used to hold every segment after it (retention deleted oldest
   * first and stopped at it); now it keeps one record, and every other sealed segment goes.
   */
  @Test
  void oneUnacknowledgedMessageKeepsOneRecordNotTheSegmentsAfterIt() throws Exception {
    start();
    createTopicWithSubscriptions("stuck", "stuck-sub");
    List<String> ids = pubsub.publishNumbered("stuck", MESSAGES);
    List<String> ackIds = new ArrayList<>();
    String stuckAckId = null;
    for (ReceivedMessage m : pubsub.pullAll("stuck-sub", MESSAGES)) {
      if (m.getMessage().getMessageId().equals(ids.get(0))) {
        stuckAckId = m.getAckId();
      } else {
        ackIds.add(m.getAckId());
      }
    }
    pubsub.subscriptions.acknowledge(subscription("stuck-sub"), ackIds);

    pubsub.broker().applyRetention();

    assertThat(segmentFiles()).as("the first segment, compacted, and the active one").hasSize(2);
    assertThat(segmentFiles().get(0).toFile().length()).isLessThan(300);
    pubsub.subscriptions.modifyAckDeadline(subscription("stuck-sub"), List.of(stuckAckId), 0);
    assertThat(pubsub.drain("stuck-sub")).containsExactly(ids.get(0));
  }

  /**
   * A snapshot keeps what it counts as unacknowledged even after its subscription acknowledged
   * everything: compaction keeps those records, a seek to the snapshot delivers exactly them, and
   * once the snapshot is deleted the segments go.
   */
  @Test
  void aSnapshotKeepsWhatItCountsUnacknowledged() throws Exception {
    start();
    createTopicWithSubscriptions("snap", "snap-sub");
    List<String> ids = pubsub.publishNumbered("snap", MESSAGES);
    List<String> firstAcks = new ArrayList<>();
    List<String> laterAcks = new ArrayList<>();
    List<String> keptBySnapshot = new ArrayList<>();
    for (ReceivedMessage m : pubsub.pullAll("snap-sub", MESSAGES)) {
      if (ids.indexOf(m.getMessage().getMessageId()) % 4 == 0) {
        laterAcks.add(m.getAckId());
        keptBySnapshot.add(m.getMessage().getMessageId());
      } else {
        firstAcks.add(m.getAckId());
      }
    }
    pubsub.subscriptions.acknowledge(subscription("snap-sub"), firstAcks);
    String snapshot = PROJECT + "/snapshots/snap-snap";
    pubsub.subscriptions.createSnapshot(snapshot, subscription("snap-sub"));
    pubsub.subscriptions.acknowledge(subscription("snap-sub"), laterAcks);
    long before = BrokerFixture.logBytes(dataDir);

    pubsub.broker().applyRetention();

    assertThat(BrokerFixture.logBytes(dataDir)).isLessThan(before / 2);
    pubsub.subscriptions.seek(
        SeekRequest.newBuilder()
            .setSubscription(subscription("snap-sub"))
            .setSnapshot(snapshot)
            .build());
    assertThat(pubsub.drain("snap-sub"))
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(keptBySnapshot);

    pubsub.subscriptions.deleteSnapshot(snapshot);
    pubsub.broker().applyRetention();
    assertThat(segmentFiles()).as("only the active segment").hasSize(1);
  }

  /**
   * A {@code retain_acked_messages} subscription keeps everything it acknowledged within its
   * retention (a seek back replays it all); past it, the segments go.
   */
  @Test
  void retainedAcknowledgedMessagesStayUntilTheSubscriptionsRetentionPasses() throws Exception {
    start();
    pubsub.topics.createTopic(topic("retained"));
    pubsub.subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(subscription("retained-sub"))
            .setTopic(topic("retained"))
            .setAckDeadlineSeconds(600)
            .setRetainAckedMessages(true)
            .setMessageRetentionDuration(Durations.fromMinutes(10))
            .build());
    Instant published = clock.instant();
    List<String> ids = pubsub.publishNumbered("retained", MESSAGES);
    assertThat(pubsub.drain("retained-sub")).containsExactlyInAnyOrderElementsOf(ids);
    long before = BrokerFixture.logBytes(dataDir);

    pubsub.broker().applyRetention();

    assertThat(BrokerFixture.logBytes(dataDir)).isEqualTo(before);
    pubsub.subscriptions.seek(
        SeekRequest.newBuilder()
            .setSubscription(subscription("retained-sub"))
            .setTime(Timestamps.fromMillis(published.toEpochMilli()))
            .build());
    assertThat(pubsub.drain("retained-sub")).containsExactlyInAnyOrderElementsOf(ids);

    clock.advance(Duration.ofMinutes(11));
    pubsub.broker().applyRetention();
    assertThat(segmentFiles()).as("only the active segment").hasSize(1);
  }

  private void createTopicWithSubscriptions(String topicId, String... subscriptionIds) {
    pubsub.topics.createTopic(topic(topicId));
    for (String id : subscriptionIds) {
      pubsub.subscriptions.createSubscription(
          Subscription.newBuilder()
              .setName(subscription(id))
              .setTopic(topic(topicId))
              .setAckDeadlineSeconds(600)
              .build());
    }
  }

  /** The segment files of every topic, oldest first. */
  private List<Path> segmentFiles() throws Exception {
    try (Stream<Path> files = Files.walk(dataDir.resolve("topics"))) {
      return files.filter(p -> p.toString().endsWith(".log")).sorted().toList();
    }
  }
}
