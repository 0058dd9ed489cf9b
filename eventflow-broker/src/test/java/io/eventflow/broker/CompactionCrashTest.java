package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.subscription;
import static io.eventflow.broker.BrokerFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.Subscription;
import io.eventflow.broker.log.FsyncPolicy;
import io.eventflow.broker.log.ReclaimObserver;
import io.eventflow.broker.log.Repair;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A kill -9 at any step of a segment deletion or compaction loses nothing, duplicates nothing and
 * leaves no temporary file. The broker runs in a child JVM ({@link ReclaimCrashChild}) that halts
 * at the given step of its reclaim pass; a broker restarted on the same data directory finishes the
 * pass and then delivers, to each of two subscriptions, exactly once every message it had not
 * acknowledged, and nothing it had.
 *
 * <p>Which messages each subscription acknowledges is random, from a seed the test prints; rerun
 * one with {@code -Dreclaim.seed=N}.
 */
class CompactionCrashTest {
  /** The child's exit status when it halts at the step. */
  static final int HALTED = 137;

  /** About 25 messages per 4 KiB segment: 24 segments, the first 8 acknowledged by both. */
  private static final int MESSAGES = 600;

  private static final List<String> SUBSCRIPTIONS = List.of("crash-sub", "crash-other");

  @TempDir Path dataDir;

  /** The broker both JVMs run: small segments, and no background pass (the test runs it). */
  static BrokerConfig.Builder config(Path dataDir) {
    return BrokerConfig.builder()
        .dataDir(dataDir)
        .segmentBytes(4096)
        .fsync(FsyncPolicy.NEVER)
        .retentionCheckInterval(Duration.ofHours(1));
  }

  @ParameterizedTest
  @EnumSource(ReclaimObserver.Step.class)
  void aHaltAtAnyStepLosesNothingAndLeavesNoTemporaryFile(ReclaimObserver.Step step)
      throws Exception {
    long seed = Long.getLong("reclaim.seed", System.nanoTime());
    System.out.println("CompactionCrashTest " + step + " seed=" + seed);
    Random random = new Random(seed);
    Map<String, Set<String>> unacked = new HashMap<>();
    long bytesBefore;
    Process child = ChildBroker.start(ReclaimCrashChild.class, dataDir.toString(), step.name());
    try {
      String address = ChildBroker.awaitReady(child);
      try (BrokerFixture pubsub = BrokerFixture.connect(address)) {
        pubsub.createTopicAndSubscription(
            "crash", Subscription.newBuilder().setAckDeadlineSeconds(600));
        pubsub.subscriptions.createSubscription(
            Subscription.newBuilder()
                .setName(subscription("crash-other"))
                .setTopic(topic("crash"))
                .setAckDeadlineSeconds(600)
                .build());
        List<String> ids = pubsub.publishNumbered("crash", MESSAGES);
        long firstThird = Long.parseLong(ids.get(0)) + MESSAGES / 3;
        // Both acknowledge the first third (whole segments to delete) and, at random, nine in
        // ten of the rest (segments to compact).
        for (String sub : SUBSCRIPTIONS) {
          Set<String> left = new HashSet<>();
          List<String> ackIds = new ArrayList<>();
          for (ReceivedMessage m : pubsub.pullAll(sub, MESSAGES)) {
            String id = m.getMessage().getMessageId();
            if (Long.parseLong(id) < firstThird || random.nextInt(10) != 0) {
              ackIds.add(m.getAckId());
            } else {
              left.add(id);
            }
          }
          pubsub.subscriptions.acknowledge(subscription(sub), ackIds);
          unacked.put(sub, left);
        }
        bytesBefore = BrokerFixture.logBytes(dataDir);

        child.getOutputStream().write("reclaim\n".getBytes(StandardCharsets.UTF_8));
        child.getOutputStream().flush();
        assertThat(child.waitFor(ChildBroker.WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("the child halted at %s", step).isEqualTo(HALTED);
      }
    } finally {
      child.destroyForcibly();
    }

    try (BrokerFixture pubsub = BrokerFixture.start(config(dataDir).build())) {
      assertThat(temporaryFiles()).isEmpty();
      boolean copyCutShort =
          step == ReclaimObserver.Step.COPY_STARTED || step == ReclaimObserver.Step.COPY_FORCED;
      assertThat(pubsub.broker().recoveryReport())
          .filteredOn(r -> r.kind() == Repair.Kind.COMPACTION_INTERRUPTED_REMOVED)
          .hasSize(copyCutShort ? 1 : 0);

      pubsub.broker().applyRetention();
      assertThat(temporaryFiles()).isEmpty();
      assertThat(BrokerFixture.logBytes(dataDir)).isLessThan(bytesBefore / 2);
      for (String sub : SUBSCRIPTIONS) {
        assertThat(pubsub.drain(sub))
            .as("%s after a halt at %s, seed %d", sub, step, seed)
            .doesNotHaveDuplicates()
            .containsExactlyInAnyOrderElementsOf(unacked.get(sub));
      }
    }
  }

  private List<Path> temporaryFiles() throws Exception {
    try (Stream<Path> files = Files.walk(dataDir)) {
      return files.filter(p -> p.toString().endsWith(".compacting")).toList();
    }
  }
}
