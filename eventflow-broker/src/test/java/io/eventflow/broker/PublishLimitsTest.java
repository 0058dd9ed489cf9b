package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublisherGrpc;
import com.google.pubsub.v1.PubsubMessage;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pub/Sub's rules for a published message, over gRPC: the broker answers INVALID_ARGUMENT with
 * Pub/Sub's reason and stores nothing of the request, whether it decodes a message or checks it on
 * its bytes.
 */
class PublishLimitsTest {
  private BrokerFixture pubsub;
  private PublisherGrpc.PublisherBlockingStub publisher;
  private String subscription;

  @BeforeEach
  void start() throws Exception {
    pubsub = BrokerFixture.start();
    subscription = pubsub.createTopicAndSubscription("limits", "");
    publisher = PublisherGrpc.newBlockingStub(pubsub.channel);
  }

  @AfterEach
  void stop() throws Exception {
    pubsub.close();
  }

  @Test
  void acceptsMessagesAtTheLimits() {
    PubsubMessage.Builder message =
        PubsubMessage.newBuilder()
            .putAttributes("k".repeat(BrokerEngine.MAX_ATTRIBUTE_KEY_BYTES), "é".repeat(512));
    for (int a = 1; a < BrokerEngine.MAX_ATTRIBUTES; a++) {
      message.putAttributes("a" + a, "");
    }

    assertThat(publish(message.build(), data("x")).getMessageIdsCount()).isEqualTo(2);
  }

  @Test
  void refusesAnEmptyMessage() {
    assertRefused("Some messages are empty", data("x"), PubsubMessage.getDefaultInstance());
  }

  @Test
  void refusesAKeyOverTheLimit() {
    assertRefused(
        "Attribute keys must be 1 to 256 bytes",
        data("x"),
        data("y").toBuilder().putAttributes("k".repeat(257), "v").build());
  }

  @Test
  void refusesAGoogKey() {
    assertRefused(
        "must not start with 'goog'",
        data("y").toBuilder().putAttributes("googthing", "v").build());
  }

  @Test
  void refusesAValueOverTheLimit() {
    assertRefused(
        "Attribute values must be at most 1024 bytes",
        data("y").toBuilder().putAttributes("k", "é".repeat(513)).build());
  }

  @Test
  void refusesTooManyAttributes() {
    PubsubMessage.Builder message = PubsubMessage.newBuilder();
    for (int a = 0; a <= BrokerEngine.MAX_ATTRIBUTES; a++) {
      message.putAttributes("a" + a, "v");
    }
    assertRefused("more than 100 attributes", message.build());
  }

  @Test
  void refusesMixedOrderingKeys() {
    assertRefused(
        "all messages must have no ordering key",
        data("x"),
        data("y").toBuilder().setOrderingKey("key").build());
  }

  private com.google.pubsub.v1.PublishResponse publish(PubsubMessage... messages) {
    PublishRequest.Builder request = PublishRequest.newBuilder().setTopic(topic("limits"));
    for (PubsubMessage message : messages) {
      request.addMessages(message);
    }
    return publisher.publish(request.build());
  }

  private void assertRefused(String reason, PubsubMessage... messages) {
    assertThatThrownBy(() -> publish(messages))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains(reason);
            });
    assertThat(pubsub.broker().unacknowledged(subscription)).as("messages stored").isZero();
  }

  private static PubsubMessage data(String text) {
    return PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8(text)).build();
  }
}
