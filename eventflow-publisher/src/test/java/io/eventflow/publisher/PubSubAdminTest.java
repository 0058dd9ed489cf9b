package io.eventflow.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.TopicName;
import io.eventflow.broker.BrokerFixture;
import org.junit.jupiter.api.Test;

class PubSubAdminTest {
  @Test
  void createsTopicsAndSubscriptionsOnceAndLeavesExistingOnesAlone() throws Exception {
    try (BrokerFixture broker = BrokerFixture.start();
        PubSubAdmin admin = PubSubAdmin.connect(broker.hostAndPort())) {
      TopicName topic = TopicName.of("demo", "events");
      Subscription subscription =
          Subscription.newBuilder()
              .setName("projects/demo/subscriptions/events-ingest")
              .setTopic(topic.toString())
              .setAckDeadlineSeconds(60)
              .build();

      assertThat(admin.createTopic(topic)).isTrue();
      assertThat(admin.createSubscription(subscription)).isTrue();
      // A second start on the same broker: nothing is created, nothing fails, nothing changes.
      assertThat(admin.createTopic(topic)).isFalse();
      assertThat(
              admin.createSubscription(subscription.toBuilder().setAckDeadlineSeconds(10).build()))
          .isFalse();
      admin.createTopicAndSubscription(TopicName.of("demo", "other"), "other-sub");

      Subscription stored = broker.subscriptions.getSubscription(subscription.getName());
      assertThat(stored.getTopic()).isEqualTo("projects/demo/topics/events");
      assertThat(stored.getAckDeadlineSeconds()).isEqualTo(60);
      assertThat(
              broker
                  .subscriptions
                  .getSubscription("projects/demo/subscriptions/other-sub")
                  .getTopic())
          .isEqualTo("projects/demo/topics/other");
    }
  }

  /** A subscription nothing reads any more is deleted once; deleting it again is no error. */
  @Test
  void deletesASubscriptionIfItExists() throws Exception {
    try (BrokerFixture broker = BrokerFixture.start();
        PubSubAdmin admin = PubSubAdmin.connect(broker.hostAndPort())) {
      admin.createTopicAndSubscription(TopicName.of("demo", "events"), "old");

      assertThat(admin.deleteSubscription("projects/demo/subscriptions/old")).isTrue();
      assertThat(admin.deleteSubscription("projects/demo/subscriptions/old")).isFalse();
      assertThat(
              admin.createSubscription(
                  Subscription.newBuilder()
                      .setName("projects/demo/subscriptions/old")
                      .setTopic("projects/demo/topics/events")
                      .build()))
          .isTrue();
    }
  }
}
