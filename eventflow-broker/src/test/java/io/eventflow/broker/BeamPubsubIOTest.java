package io.eventflow.broker;

import static io.eventflow.broker.BrokerFixture.subscription;
import static io.eventflow.broker.BrokerFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubIO;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Beam's PubsubIO on the DirectRunner against the broker through the REST/JSON API, the way it
 * reaches Pub/Sub on non-Dataflow runners ({@code --pubsubRootUrl}).
 */
class BeamPubsubIOTest {
  /** What the read pipeline saw: message data to event timestamp (millis). */
  static final Map<String, Long> READ = new ConcurrentHashMap<>();

  /** Counted down when the read pipeline sees the message published last. */
  static volatile CountDownLatch lastSeen = new CountDownLatch(1);

  private BrokerFixture pubsub;

  @BeforeEach
  void startBroker() throws Exception {
    READ.clear();
    lastSeen = new CountDownLatch(1);
    pubsub = BrokerFixture.start(BrokerConfig.builder().pullWait(Duration.ofMillis(500)).build());
  }

  @AfterEach
  void stopBroker() throws Exception {
    pubsub.close();
  }

  /** PubsubIO.write publishes each element with its attributes and event time attribute. */
  @Test
  void pubsubIoWritesMessagesWithTheirAttributesAndTimestamp() throws Exception {
    pubsub.createTopicAndSubscription("beam-out", Subscription.newBuilder());
    Pipeline pipeline = Pipeline.create(options(false));
    pipeline
        .apply(
            "Create",
            Create.timestamped(
                TimestampedValue.of(message("a", "id-a"), new Instant(1_000)),
                TimestampedValue.of(message("b", "id-b"), new Instant(2_000))))
        .apply(
            "Write", PubsubIO.writeMessages().to(topic("beam-out")).withTimestampAttribute("ts"));
    pipeline.run().waitUntilFinish();

    PullResponse response = pubsub.pullWaiting("beam-out-sub", 10);
    List<String> seen = new ArrayList<>();
    for (ReceivedMessage m : response.getReceivedMessagesList()) {
      Map<String, String> attributes = m.getMessage().getAttributesMap();
      seen.add(
          m.getMessage().getData().toStringUtf8()
              + " "
              + attributes.get("eventId")
              + " "
              + attributes.get("ts"));
    }
    assertThat(seen).containsExactlyInAnyOrder("a id-a 1000", "b id-b 2000");
  }

  /**
   * PubsubIO.read takes event time from the timestamp attribute and drops duplicates by id. The
   * duplicate is published before a last message, so once the pipeline has seen the last one it has
   * been through the duplicate: the broker hands out first deliveries in publish order, and the
   * reader emits what one pull returned in that order.
   */
  @Test
  void pubsubIoReadsWithTimestampAttributeAndDeduplicatesById() throws Exception {
    pubsub.createTopicAndSubscription("beam-in", Subscription.newBuilder());
    var publisher = pubsub.publisher("beam-in");
    pubsub.publish(publisher, "first", Map.of("eventId", "e1", "ts", "1700000000000"));
    pubsub.publish(publisher, "second", Map.of("eventId", "e2", "ts", "2023-11-14T22:13:21Z"));
    pubsub.publish(publisher, "first", Map.of("eventId", "e1", "ts", "1700000000000"));
    pubsub.publish(publisher, "last", Map.of("eventId", "e3", "ts", "1700000002000"));

    Pipeline pipeline = Pipeline.create(options(true));
    pipeline
        .apply(
            "Read",
            PubsubIO.readMessagesWithAttributes()
                .fromSubscription(subscription("beam-in-sub"))
                .withIdAttribute("eventId")
                .withTimestampAttribute("ts"))
        .apply("Record", ParDo.of(new RecordFn()));
    PipelineResult result = pipeline.run();
    try {
      assertThat(lastSeen.await(60, TimeUnit.SECONDS)).as("the last message was read").isTrue();
    } finally {
      result.cancel();
    }
    assertThat(READ)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "first", 1_700_000_000_000L,
                "second", 1_700_000_001_000L,
                "last", 1_700_000_002_000L));
  }

  /** Records each element's data and event time. */
  static final class RecordFn extends DoFn<PubsubMessage, Void> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(ProcessContext context) {
      String data = new String(context.element().getPayload(), StandardCharsets.UTF_8);
      Long previous = READ.putIfAbsent(data, context.timestamp().getMillis());
      if (previous != null) {
        READ.put(data + " (duplicate)", context.timestamp().getMillis());
      }
      if (data.equals("last")) {
        lastSeen.countDown();
      }
    }
  }

  private PubsubOptions options(boolean streaming) {
    PubsubOptions options = BeamBrokerFixture.options(pubsub.broker().restRootUrl());
    options.setRunner(DirectRunner.class);
    options.as(StreamingOptions.class).setStreaming(streaming);
    // A streaming read never finishes: run() must return so the test can cancel it.
    options.as(DirectOptions.class).setBlockOnRun(!streaming);
    return options;
  }

  private static PubsubMessage message(String data, String eventId) {
    return new PubsubMessage(data.getBytes(StandardCharsets.UTF_8), Map.of("eventId", eventId));
  }
}
