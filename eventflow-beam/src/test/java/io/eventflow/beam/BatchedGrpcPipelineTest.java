package io.eventflow.beam;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.broker.BeamBrokerFixture;
import io.eventflow.broker.Broker;
import io.eventflow.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.IncomingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.OutgoingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.SubscriptionPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.TopicPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A streaming DirectRunner job built of this module's parts, as the local stack runs them: pull
 * batches from one topic over gRPC, drop repeated ids in memory, publish batches to another.
 */
class BatchedGrpcPipelineTest {
  private static final TopicPath IN = BeamBrokerFixture.topic("events-in");
  private static final TopicPath OUT = BeamBrokerFixture.topic("events-out");

  /** A bound for a hang, not a timing check: each wait normally takes a few seconds. */
  private static final Duration WAIT = Duration.ofMinutes(2);

  private BeamBrokerFixture test;
  private Broker broker;
  private PubsubClient client;
  private SubscriptionPath inSubscription;
  private SubscriptionPath outSubscription;

  @BeforeEach
  void startBroker() throws Exception {
    test = BeamBrokerFixture.start();
    broker = test.broker();
    client = test.client();
    inSubscription = test.topicWithSubscription("events-in");
    outSubscription = test.topicWithSubscription("events-out");
  }

  @AfterEach
  void stopBroker() throws Exception {
    test.close();
  }

  /**
   * 2,500 messages, the last 500 repeating the ids of the first 500 with other payloads: the output
   * topic gets each id once, with its payload and attributes, and nothing more.
   *
   * <p>"Nothing more" without a fixed wait: once the broker has delivered all 2,500 to the job (so
   * every repeat was pulled and emitted by the reader), a sentinel message is published, and the
   * output is counted when the sentinel has come through behind the repeats. (Not "all
   * acknowledged": on the DirectRunner the last pulls' acknowledgements took almost two minutes.)
   */
  @Test
  void copiesMessagesOncePerIdBetweenTopics() throws Exception {
    List<OutgoingMessage> messages = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      String id = "id-" + (i < 2_000 ? i : i - 2_000);
      messages.add(
          OutgoingMessage.of(
              new PubsubMessage(
                  ("payload-" + i).getBytes(StandardCharsets.UTF_8), Map.of("id", id, "n", "" + i)),
              0,
              null,
              null));
    }
    for (int from = 0; from < messages.size(); from += 500) {
      client.publish(IN, messages.subList(from, from + 500));
    }

    PipelineResult job = pipeline().run();
    Map<String, IncomingMessage> byId = new HashMap<>();
    try {
      Await.untilHolds("2,000 ids on the output topic", WAIT, () -> pullInto(byId) >= 2_000);
      Await.untilHolds(
          "all 2,500 input messages delivered to the job",
          WAIT,
          () -> broker.undelivered(inSubscription.getPath()) == 0);
      client.publish(
          IN,
          List.of(
              OutgoingMessage.of(
                  new PubsubMessage(
                      "sentinel".getBytes(StandardCharsets.UTF_8), Map.of("id", "sentinel")),
                  0,
                  null,
                  null)));
      Await.untilHolds(
          "the sentinel on the output topic",
          WAIT,
          () -> {
            pullInto(byId);
            return byId.containsKey("sentinel");
          });
    } finally {
      job.cancel();
    }

    assertThat(byId.remove("sentinel")).isNotNull();
    assertThat(byId).hasSize(2_000);
    IncomingMessage first = byId.get("id-7");
    assertThat(first.message().getAttributesMap()).containsEntry("n", "7");
    assertThat(first.message().getData().toStringUtf8()).isEqualTo("payload-7");
  }

  /** Pulls the output topic into {@code byId}, acknowledging; returns how many ids it holds. */
  private int pullInto(Map<String, IncomingMessage> byId) throws Exception {
    for (IncomingMessage m : test.pullAndAck(outSubscription, 1_000)) {
      String id = m.message().getAttributesMap().get("id");
      assertThat(byId.put(id, m)).as("id %s republished once", id).isNull();
    }
    return byId.size();
  }

  private Pipeline pipeline() {
    PubsubOptions options = PipelineOptionsFactory.create().as(PubsubOptions.class);
    options.setRunner(DirectRunner.class);
    options.setPubsubRootUrl(broker.restRootUrl());
    options.as(StreamingOptions.class).setStreaming(true);
    // A streaming job never finishes: run() must return so the test can watch and cancel it.
    options.as(DirectOptions.class).setBlockOnRun(false);
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply(
            "Pull",
            PullPubsubMessages.fromSubscription(inSubscription.getPath(), broker.restRootUrl()))
        .apply(
            "DropRepeats",
            new DropRepeatedIdsInMemory<PubsubMessage>(
                m -> m.getAttribute("id"), org.joda.time.Duration.standardMinutes(10)))
        .apply("Publish", PublishPubsubMessages.toTopic(OUT.getPath(), broker.restRootUrl()));
    return pipeline;
  }
}
