package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublishResponse;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.Topic;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A disk slower than the publishers: the pending batch fills, publishes are answered
 * RESOURCE_EXHAUSTED (which the official client and Beam's REST client retry with backoff) and
 * counted, and accepted again once the disk caught up.
 */
class PublishBackPressureTest {
  private static final String TOPIC = BrokerFixture.topic("slow-disk");

  @Test
  void publishesAreRefusedWithResourceExhaustedWhileTheDiskIsBehind() throws Exception {
    List<Runnable> stalledWrites = new ArrayList<>();
    BrokerMetrics metrics = new BrokerMetrics();
    BrokerEngine engine =
        BrokerEngine.open(
            BrokerConfig.builder().maxPendingPublishBytes(1000).build(),
            metrics,
            stalledWrites::add);
    try {
      engine.createTopic(Topic.newBuilder().setName(TOPIC).build());
      CompletableFuture<PublishResponse> first = engine.publish(request(600));
      CompletableFuture<PublishResponse> second = engine.publish(request(600));
      CompletableFuture<PublishResponse> refused = engine.publish(request(600));

      assertThatThrownBy(refused::join)
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
          .hasMessageContaining("Publish to " + TOPIC + " refused: the log's disk is behind")
          .hasMessageContaining("(bound 1000); retry with backoff");
      assertThat(metrics.scrape())
          .contains("eventflow_broker_publishes_refused_total{topic=\"" + TOPIC + "\"} 1.0");
      assertThat(first).isNotDone();

      stalledWrites.remove(0).run(); // the disk catches up: both pending publishes are written
      assertThat(first.get(30, TimeUnit.SECONDS).getMessageIds(0)).isEqualTo("0");
      assertThat(second.get(30, TimeUnit.SECONDS).getMessageIds(0)).isEqualTo("1");

      CompletableFuture<PublishResponse> retried = engine.publish(request(600));
      stalledWrites.remove(0).run();
      // The refused publish took no offset: the retry gets the next one.
      assertThat(retried.get(30, TimeUnit.SECONDS).getMessageIds(0)).isEqualTo("2");
    } finally {
      stalledWrites.forEach(Runnable::run);
      engine.close();
      metrics.close();
    }
  }

  private static PublishRequest request(int bytes) {
    return PublishRequest.newBuilder()
        .setTopic(TOPIC)
        .addMessages(PubsubMessage.newBuilder().setData(ByteString.copyFrom(new byte[bytes])))
        .build();
  }
}
