package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.PROJECT;
import static io.eventflow.broker.BrokerFixture.subscription;
import static io.eventflow.broker.BrokerFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.rpc.AlreadyExistsException;
import com.google.api.gax.rpc.FailedPreconditionException;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.FieldMask;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.SeekRequest;
import com.google.pubsub.v1.Snapshot;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.Topic;
import com.google.pubsub.v1.UpdateSnapshotRequest;
import io.eventflow.testing.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots, seek and topic retention through the official client: a snapshot's lifecycle and its
 * Pub/Sub expiry, seeking a subscription back to a snapshot, and a subscription created after the
 * fact replaying what a topic retained.
 */
class SnapshotsTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private BrokerFixture pubsub;

  @TempDir Path dataDir;

  @AfterEach
  void stopBroker() throws Exception {
    if (pubsub != null) {
      pubsub.close();
    }
  }

  private void start() throws Exception {
    pubsub =
        BrokerFixture.start(
            BrokerConfig.builder()
                .dataDir(dataDir)
                .segmentBytes(1024)
                .clock(clock)
                .leaseCheckInterval(Duration.ofHours(1))
                .retentionCheckInterval(Duration.ofHours(1))
                .build());
  }

  private void restart() throws Exception {
    pubsub.close();
    start();
  }

  /**
   * Create, get, list (by project and by topic), update labels, delete; a second create of the same
   * name is ALREADY_EXISTS, a deleted one NOT_FOUND. A subscription with nothing unacknowledged
   * gives a snapshot that lives 7 days.
   */
  @Test
  void snapshotLifecycle() throws Exception {
    start();
    pubsub.createTopicAndSubscription("life", Subscription.newBuilder());
    String name = PROJECT + "/snapshots/life-snap";

    Snapshot created = pubsub.subscriptions.createSnapshot(name, subscription("life-sub"));
    assertThat(created.getName()).isEqualTo(name);
    assertThat(created.getTopic()).isEqualTo(topic("life"));
    assertThat(Timestamps.toMillis(created.getExpireTime()))
        .isEqualTo(clock.instant().plus(Duration.ofDays(7)).toEpochMilli());

    assertThat(pubsub.subscriptions.getSnapshot(name)).isEqualTo(created);
    assertThat(pubsub.subscriptions.listSnapshots(PROJECT).iterateAll()).containsExactly(created);
    assertThat(pubsub.topics.listTopicSnapshots(topic("life")).iterateAll()).containsExactly(name);
    assertThatThrownBy(() -> pubsub.subscriptions.createSnapshot(name, subscription("life-sub")))
        .isInstanceOf(AlreadyExistsException.class);
    assertThatThrownBy(
            () ->
                pubsub.subscriptions.createSnapshot(
                    PROJECT + "/snapshots/other", subscription("no-such-sub")))
        .isInstanceOf(NotFoundException.class);

    Snapshot labelled =
        pubsub.subscriptions.updateSnapshot(
            UpdateSnapshotRequest.newBuilder()
                .setSnapshot(created.toBuilder().putLabels("team", "events"))
                .setUpdateMask(FieldMask.newBuilder().addPaths("labels"))
                .build());
    assertThat(labelled.getLabelsMap()).containsEntry("team", "events");
    restart();
    assertThat(pubsub.subscriptions.getSnapshot(name)).isEqualTo(labelled);

    pubsub.subscriptions.deleteSnapshot(name);
    assertThatThrownBy(() -> pubsub.subscriptions.getSnapshot(name))
        .isInstanceOf(NotFoundException.class);
    assertThat(pubsub.subscriptions.listSnapshots(PROJECT).iterateAll()).isEmpty();
  }

  /**
   * Seeking to a snapshot restores the acknowledgement state it captured: what was unacknowledged
   * then, and everything published since, is delivered again; what was acknowledged then is not. It
   * works after a restart and from another subscription of the same topic, not from another
   * topic's.
   */
  @Test
  void seekToASnapshotRestoresItsAcknowledgements() throws Exception {
    start();
    pubsub.createTopicAndSubscription("replay", Subscription.newBuilder());
    Publisher publisher = pubsub.publisher("replay");
    for (int i = 0; i < 5; i++) {
      pubsub.publish(publisher, "m" + i, Map.of());
    }
    PullResponse all = pullAll("replay-sub", 5);
    acknowledge("replay-sub", all, "m0", "m2");
    String name = PROJECT + "/snapshots/replay-snap";
    pubsub.subscriptions.createSnapshot(name, subscription("replay-sub"));
    acknowledge("replay-sub", all, "m1", "m3", "m4");
    pubsub.publish(publisher, "m5", Map.of());
    acknowledge("replay-sub", pullAll("replay-sub", 1), "m5");
    assertThat(pubsub.broker().unacknowledged(subscription("replay-sub"))).isZero();

    restart();
    pubsub.subscriptions.seek(
        SeekRequest.newBuilder()
            .setSubscription(subscription("replay-sub"))
            .setSnapshot(name)
            .build());
    assertThat(data(pullAll("replay-sub", 4))).containsExactlyInAnyOrder("m1", "m3", "m4", "m5");

    // Another subscription of the topic, created later, can take the snapshot's state too.
    pubsub.subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(subscription("replay-late"))
            .setTopic(topic("replay"))
            .build());
    pubsub.subscriptions.seek(
        SeekRequest.newBuilder()
            .setSubscription(subscription("replay-late"))
            .setSnapshot(name)
            .build());
    assertThat(data(pullAll("replay-late", 4))).containsExactlyInAnyOrder("m1", "m3", "m4", "m5");

    pubsub.createTopicAndSubscription("elsewhere", Subscription.newBuilder());
    assertThatThrownBy(
            () ->
                pubsub.subscriptions.seek(
                    SeekRequest.newBuilder()
                        .setSubscription(subscription("elsewhere-sub"))
                        .setSnapshot(name)
                        .build()))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("is not the subscription's topic");
  }

  /**
   * Pub/Sub's expiry: a snapshot lives 7 days minus the age of the oldest unacknowledged message,
   * one that would live under an hour is refused, and until it expires the log keeps the segments
   * holding what it did not count as acknowledged; once expired it is gone and so are they.
   */
  @Test
  void aSnapshotExpiresWhenItsOldestMessageWouldBeSevenDaysOld() throws Exception {
    start();
    pubsub.createTopicAndSubscription("aging", Subscription.newBuilder());
    Publisher publisher = pubsub.publisher("aging");
    for (int i = 0; i < 40; i++) {
      pubsub.publish(publisher, "x".repeat(100), Map.of());
    }
    clock.advance(Duration.ofDays(3));
    String name = PROJECT + "/snapshots/aging-snap";
    Snapshot snapshot = pubsub.subscriptions.createSnapshot(name, subscription("aging-sub"));
    assertThat(Timestamps.toMillis(snapshot.getExpireTime()))
        .isEqualTo(clock.instant().plus(Duration.ofDays(4)).toEpochMilli());

    // The subscription acknowledges everything; only the snapshot still needs the segments.
    PullResponse all = pullAll("aging-sub", 40);
    acknowledge("aging-sub", all);
    long segments = segmentFiles("aging");
    assertThat(segments).isGreaterThan(3);
    pubsub.broker().applyRetention();
    assertThat(segmentFiles("aging")).isEqualTo(segments);

    clock.advance(Duration.ofDays(4));
    assertThatThrownBy(() -> pubsub.subscriptions.getSnapshot(name))
        .isInstanceOf(NotFoundException.class);
    pubsub.broker().applyRetention();
    assertThat(segmentFiles("aging")).isEqualTo(1);

    // A backlog exactly 6 days 23 hours old gives a snapshot of one hour, allowed; 30 minutes
    // older it would live under an hour: refused.
    pubsub.publish(publisher, "old", Map.of());
    clock.advance(Duration.ofDays(7).minusHours(1));
    pubsub.subscriptions.createSnapshot(
        PROJECT + "/snapshots/just-in-time", subscription("aging-sub"));
    clock.advance(Duration.ofMinutes(30));
    assertThatThrownBy(
            () ->
                pubsub.subscriptions.createSnapshot(
                    PROJECT + "/snapshots/too-old", subscription("aging-sub")))
        .isInstanceOf(FailedPreconditionException.class)
        .hasMessageContaining("less than 1 hour");
  }

  /**
   * With {@code message_retention_duration} on the topic, a subscription created after messages
   * were published (and acknowledged by another subscription) seeks back to a time before them and
   * replays what it never saw, then continues with new messages.
   */
  @Test
  void aNewSubscriptionReplaysWhatTheTopicRetained() throws Exception {
    start();
    pubsub.topics.createTopic(
        Topic.newBuilder()
            .setName(topic("retained"))
            .setMessageRetentionDuration(Durations.fromDays(1))
            .build());
    pubsub.subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(subscription("retained-first"))
            .setTopic(topic("retained"))
            .build());
    Publisher publisher = pubsub.publisher("retained");
    Instant before = clock.instant();
    clock.advance(Duration.ofMinutes(1));
    for (int i = 0; i < 3; i++) {
      pubsub.publish(publisher, "old" + i, Map.of());
    }
    acknowledge("retained-first", pullAll("retained-first", 3));
    pubsub.broker().applyRetention();

    pubsub.subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(subscription("retained-late"))
            .setTopic(topic("retained"))
            .build());
    assertThat(pubsub.pullNow("retained-late", 10).getReceivedMessagesList()).isEmpty();
    pubsub.subscriptions.seek(
        SeekRequest.newBuilder()
            .setSubscription(subscription("retained-late"))
            .setTime(Timestamps.fromMillis(before.toEpochMilli()))
            .build());
    pubsub.publish(publisher, "new", Map.of());
    assertThat(data(pullAll("retained-late", 4)))
        .containsExactlyInAnyOrder("old0", "old1", "old2", "new");
  }

  private PullResponse pullAll(String subscriptionId, int expected) {
    PullResponse.Builder all = PullResponse.newBuilder();
    for (int attempt = 0; attempt < 20 && all.getReceivedMessagesCount() < expected; attempt++) {
      all.addAllReceivedMessages(
          pubsub.pullWaiting(subscriptionId, expected).getReceivedMessagesList());
    }
    assertThat(all.getReceivedMessagesCount()).isEqualTo(expected);
    return all.build();
  }

  /** Acknowledges the messages of {@code response} with the given data, or all of them. */
  private void acknowledge(String subscriptionId, PullResponse response, String... only) {
    List<String> ids = new ArrayList<>();
    for (ReceivedMessage m : response.getReceivedMessagesList()) {
      String data = m.getMessage().getData().toStringUtf8();
      if (only.length == 0 || List.of(only).contains(data)) {
        ids.add(m.getAckId());
      }
    }
    pubsub.subscriptions.acknowledge(subscription(subscriptionId), ids);
  }

  private static List<String> data(PullResponse response) {
    return response.getReceivedMessagesList().stream()
        .map(m -> m.getMessage().getData().toStringUtf8())
        .toList();
  }

  private long segmentFiles(String topicId) throws Exception {
    Path dir =
        dataDir.resolve("topics").resolve(java.net.URLEncoder.encode(topic(topicId), "UTF-8"));
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".log")).count();
    }
  }
}
