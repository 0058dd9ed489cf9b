package io.eventflow.broker;

import static io.eventflow.broker.PubSubClients.subscription;
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
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker runs in a child JVM that is killed with SIGKILL mid-flight; a new broker on the same
 * data directory must have every publish the client saw acknowledged and must not redeliver any
 * message the client acknowledged.
 */
class CrashRecoveryTest {
  private static final Pattern READY = Pattern.compile("PUBSUB_EMULATOR_HOST=(\\S+)");

  /**
   * How long each wait may take before the test fails saying what it waited for: the child starts
   * in about a second and each loop below finishes in a few, so this is a guard against a hang, not
   * a timing check.
   */
  private static final Duration WAIT = Duration.ofMinutes(1);

  @TempDir Path dataDir;

  @Test
  void killedBrokerLosesNoAcknowledgedPublishAndRedeliversNoAckedMessage() throws Exception {
    Set<String> published = new HashSet<>();
    Set<String> acked = new HashSet<>();
    Process child = startChildBroker(dataDir);
    try {
      String address = awaitReady(child);
      try (PubSubClients pubsub = PubSubClients.connect(address)) {
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
        Deadline acking = new Deadline(WAIT, "1,000 messages pulled and acknowledged");
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
    try (PubSubClients pubsub =
        PubSubClients.start(BrokerConfig.builder().dataDir(dataDir).build())) {
      Deadline draining = new Deadline(WAIT, "the restarted broker's backlog drained");
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
    try (PubSubClients pubsub = PubSubClients.start(config)) {
      pubsub.createTopicAndSubscription(
          "kept", Subscription.newBuilder().setAckDeadlineSeconds(42));
      Publisher publisher = pubsub.publisher("kept");
      firstId = pubsub.publish(publisher, "first", java.util.Map.of());
      pubsub.publish(publisher, "second", java.util.Map.of());
      ReceivedMessage first = pubsub.pullWaiting("kept-sub", 1).getReceivedMessages(0);
      assertThat(first.getMessage().getMessageId()).isEqualTo(firstId);
      pubsub.subscriptions.acknowledge(subscription("kept-sub"), List.of(first.getAckId()));
    }
    try (PubSubClients pubsub = PubSubClients.start(config)) {
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
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            BrokerMain.class.getName(),
            "--data-dir",
            dataDir.toString(),
            "--port",
            "0",
            "--fsync",
            "never")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  /**
   * Returns the address the child prints once it listens. Its output is read on a thread of its own
   * so the wait has a deadline: a child that hangs before printing is killed, which ends the read.
   */
  private static String awaitReady(Process child) throws Exception {
    CompletableFuture<String> address =
        CompletableFuture.supplyAsync(
            () -> {
              BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
              try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                  Matcher m = READY.matcher(line);
                  if (m.find()) {
                    return m.group(1);
                  }
                }
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
              return null;
            });
    try {
      String found = address.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      if (found == null) {
        throw new AssertionError(
            "child broker exited before it was ready: "
                + (child.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS) ? child.exitValue() : "?"));
      }
      return found;
    } catch (TimeoutException e) {
      child.destroyForcibly();
      throw new AssertionError("child broker printed no address within " + WAIT, e);
    }
  }

  /** A deadline for a wait loop, failing with what was awaited. */
  private record Deadline(long endNanos, Duration limit, String what) {
    Deadline(Duration limit, String what) {
      this(System.nanoTime() + limit.toNanos(), limit, what);
    }

    void check() {
      if (System.nanoTime() - endNanos > 0) {
        throw new AssertionError("not within " + limit + ": " + what);
      }
    }
  }
}
