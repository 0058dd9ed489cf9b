package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.core.ApiFuture;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.Topic;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** How the broker stops: in-flight calls finish against an open engine, then the engine closes. */
class BrokerCloseTest {

  /**
   * A publish is held inside the log's append (by a clock that blocks when asked) while {@link
   * Broker#close()} runs on another thread. Close must wait for it with the subscriptions and logs
   * still open, and only close them once the publish has been answered.
   */
  @Test
  void closeLetsAnInFlightPublishFinishBeforeClosingTheEngine() throws Exception {
    HoldingClock clock = new HoldingClock();
    Broker broker = Broker.start(BrokerConfig.builder().clock(clock).build());
    try (BrokerFixture pubsub = BrokerFixture.connect(broker.hostAndPort())) {
      pubsub.createTopicAndSubscription("drain", Subscription.newBuilder());
      Publisher publisher = pubsub.publisher("drain");
      SubscriptionState subscription =
          broker.engine().requireSubscription(BrokerFixture.subscription("drain-sub"));

      clock.hold();
      // The clock is released in the inner finally, before the client closes: a publisher shuts
      // down only once its publish is answered, which a held clock would prevent.
      try {
        ApiFuture<String> published =
            publisher.publish(
                PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("in flight")).build());
        assertThat(clock.entered.await(30, TimeUnit.SECONDS))
            .as("publish reached the log")
            .isTrue();

        Thread closer =
            new Thread(
                () -> {
                  try {
                    broker.close();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                "closer");
        closer.start();
        // The explicit signal: the closing thread is parked, either draining calls (the fix) or
        // stuck behind the held append inside the engine's close (the bug).
        awaitParkedIn(closer, "awaitTermination", "SegmentedLog.close");

        assertThat(subscription.isClosed())
            .as("subscriptions stay open while a call is in flight")
            .isFalse();

        clock.release();
        assertThat(published.get(30, TimeUnit.SECONDS)).isEqualTo("0");
        closer.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(closer.isAlive()).isFalse();
        assertThat(subscription.isClosed()).isTrue();
      } finally {
        clock.release();
      }
    } finally {
      broker.close();
    }
  }

  /** An ack that reaches a closed subscription is refused, not answered OK and forgotten. */
  @Test
  void anAckAfterTheEngineClosedIsRefusedNotSilentlyDropped() throws Exception {
    BrokerEngine engine = BrokerEngine.open(BrokerConfig.builder().build(), new BrokerMetrics());
    String topic = BrokerFixture.topic("late-ack");
    String subscription = BrokerFixture.subscription("late-ack-sub");
    engine.createTopic(Topic.newBuilder().setName(topic).build());
    engine.createSubscription(
        Subscription.newBuilder().setName(subscription).setTopic(topic).build());
    engine
        .publish(
            PublishRequest.newBuilder()
                .setTopic(topic)
                .addMessages(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("m")))
                .build())
        .get(30, TimeUnit.SECONDS);
    @SuppressWarnings("deprecation")
    String ackId =
        engine
            .pull(
                PullRequest.newBuilder()
                    .setSubscription(subscription)
                    .setMaxMessages(1)
                    .setReturnImmediately(true)
                    .build())
            .get(30, TimeUnit.SECONDS)
            .getReceivedMessages(0)
            .getAckId();

    engine.close();

    assertThatThrownBy(
            () ->
                engine.acknowledge(
                    AcknowledgeRequest.newBuilder()
                        .setSubscription(subscription)
                        .addAckIds(ackId)
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE))
        .hasMessageContaining("the acknowledgement was not recorded");
  }

  /**
   * Waits (30 s at most) until {@code thread} is parked in a frame naming one of {@code places}.
   */
  private static void awaitParkedIn(Thread thread, String... places) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Thread.State state = thread.getState();
      if (state == Thread.State.BLOCKED
          || state == Thread.State.WAITING
          || state == Thread.State.TIMED_WAITING) {
        String stack = Arrays.toString(thread.getStackTrace());
        for (String place : places) {
          if (stack.contains(place)) {
            return;
          }
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    throw new AssertionError(
        thread.getName()
            + " never parked in "
            + Arrays.toString(places)
            + ": "
            + thread.getState());
  }

  /** A system clock that, once held, blocks the next caller until released. */
  private static final class HoldingClock extends Clock {
    final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile boolean held;

    void hold() {
      held = true;
    }

    void release() {
      held = false;
      released.countDown();
    }

    @Override
    public Instant instant() {
      if (held) {
        entered.countDown();
        try {
          if (!released.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the test never released the clock");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Instant.now();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
