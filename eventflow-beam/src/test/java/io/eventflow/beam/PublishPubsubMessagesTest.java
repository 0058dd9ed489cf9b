package io.eventflow.beam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.broker.BeamBrokerFixture;
import io.eventflow.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.Pipeline.PipelineExecutionException;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.IncomingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.SubscriptionPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessageWithAttributesCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PublishPubsubMessagesTest {
  private BeamBrokerFixture broker;

  @BeforeEach
  void startBroker() throws Exception {
    broker = BeamBrokerFixture.start();
  }

  @AfterEach
  void stopBroker() throws Exception {
    broker.close();
  }

  /**
   * More batches than may be in flight at once: the step waits for the oldest instead of sending
   * more, and every message is stored, once, with its attributes, when the pipeline finishes.
   */
  @Test
  void storesEveryMessageOfABundleLargerThanTheBatchesInFlight() throws Exception {
    SubscriptionPath subscription = broker.topicWithSubscription("out");
    int count =
        (PublishPubsubMessages.MAX_BATCHES_IN_FLIGHT + 3)
                * PublishPubsubMessages.MAX_MESSAGES_PER_PUBLISH
            + 17;

    pipeline(BeamBrokerFixture.topic("out").getPath(), count).run().waitUntilFinish();

    Map<String, String> stored = new HashMap<>();
    Await.untilHolds(
        count + " messages pulled",
        Duration.ofMinutes(1),
        () -> {
          for (IncomingMessage m : broker.pullAndAck(subscription, 1_000)) {
            String n = m.message().getAttributesMap().get("n");
            assertThat(stored.put(n, m.message().getData().toStringUtf8()))
                .as("message %s stored once", n)
                .isNull();
          }
          return stored.size() >= count;
        });
    assertThat(stored).hasSize(count).containsEntry("11000", "payload-11000");
  }

  /** A publish the broker refuses fails the bundle, so its input is not taken as done. */
  @Test
  void aRefusedPublishFailsThePipeline() {
    Pipeline pipeline = pipeline(BeamBrokerFixture.topic("no-such-topic").getPath(), 2_500);

    assertThatThrownBy(() -> pipeline.run().waitUntilFinish())
        .isInstanceOf(PipelineExecutionException.class)
        .hasMessageContaining("NOT_FOUND");
  }

  private Pipeline pipeline(String topic, int count) {
    List<PubsubMessage> messages = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      messages.add(
          new PubsubMessage(
              ("payload-" + i).getBytes(StandardCharsets.UTF_8), Map.of("n", "" + i)));
    }
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply("Messages", Create.of(messages).withCoder(PubsubMessageWithAttributesCoder.of()))
        .apply("Publish", PublishPubsubMessages.toTopic(topic, broker.rootUrl()));
    return pipeline;
  }
}
