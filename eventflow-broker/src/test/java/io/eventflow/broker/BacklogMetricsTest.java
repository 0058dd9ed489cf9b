package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.pubsub.v1.Publisher;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.Subscription;
import io.eventflow.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each subscription's backlog at {@code /metrics}, with Cloud Monitoring's meanings: unacknowledged
 * messages and their bytes, the oldest one's age, what is leased, and how many times the
 * unacknowledged messages were delivered.
 */
class BacklogMetricsTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private BrokerFixture pubsub;

  @BeforeEach
  void startBroker() throws Exception {
    pubsub =
        BrokerFixture.start(
            BrokerConfig.builder().clock(clock).leaseCheckInterval(Duration.ofHours(1)).build());
  }

  @AfterEach
  void stopBroker() throws Exception {
    pubsub.close();
  }

  /**
   * Three equal messages, one delivered twice (a nack in between) and one once; 90 seconds later
   * the backlog is 3 messages of 3x one message's bytes, 90 s old, 2 leased, delivered 0/1/2 times
   * once each. Acknowledging two leaves a third of the bytes and the age of the third message.
   */
  @Test
  void backlogGaugesFollowPublishDeliveryAndAcks() throws Exception {
    pubsub.createTopicAndSubscription("backlog", Subscription.newBuilder());
    Publisher publisher = pubsub.publisher("backlog");
    pubsub.publish(publisher, "a", Map.of());
    pubsub.publish(publisher, "b", Map.of());
    clock.advance(Duration.ofSeconds(30));
    pubsub.publish(publisher, "c", Map.of());

    PullResponse first = pubsub.pullNow("backlog-sub", 1);
    pubsub.subscriptions.modifyAckDeadline(
        subscription("backlog-sub"), List.of(first.getReceivedMessages(0).getAckId()), 0);
    PullResponse two = pubsub.pullNow("backlog-sub", 2);
    assertThat(two.getReceivedMessagesCount()).isEqualTo(2);
    clock.advance(Duration.ofSeconds(60));

    String metrics = pubsub.metrics();
    String sub = "subscription=\"" + subscription("backlog-sub") + "\"";
    assertThat(
            BrokerFixture.sample(
                metrics, "eventflow_broker_subscription_num_undelivered_messages", sub))
        .isEqualTo(3);
    double threeBytes =
        BrokerFixture.sample(metrics, "eventflow_broker_subscription_backlog_bytes", sub);
    assertThat(threeBytes).isGreaterThan(3);
    assertThat(
            BrokerFixture.sample(
                metrics, "eventflow_broker_subscription_oldest_unacked_message_age_seconds", sub))
        .isEqualTo(90);
    assertThat(
            BrokerFixture.sample(
                metrics, "eventflow_broker_subscription_num_outstanding_messages", sub))
        .isEqualTo(2);
    for (String attempts : List.of("0", "1", "2")) {
      assertThat(
              BrokerFixture.sample(
                  metrics,
                  "eventflow_broker_subscription_unacked_messages_by_delivery_attempts",
                  "delivery_attempts=\"" + attempts + "\"," + sub))
          .as("messages delivered %s times", attempts)
          .isEqualTo(1);
    }

    pubsub.subscriptions.acknowledge(
        subscription("backlog-sub"),
        List.of(two.getReceivedMessages(0).getAckId(), two.getReceivedMessages(1).getAckId()));
    metrics = pubsub.metrics();
    assertThat(
            BrokerFixture.sample(
                metrics, "eventflow_broker_subscription_num_undelivered_messages", sub))
        .isEqualTo(1);
    assertThat(BrokerFixture.sample(metrics, "eventflow_broker_subscription_backlog_bytes", sub))
        .isEqualTo(threeBytes / 3);
    assertThat(
            BrokerFixture.sample(
                metrics, "eventflow_broker_subscription_oldest_unacked_message_age_seconds", sub))
        .isEqualTo(60);

    pubsub.subscriptions.deleteSubscription(subscription("backlog-sub"));
    assertThat(pubsub.metrics()).doesNotContain(sub);
  }
}
