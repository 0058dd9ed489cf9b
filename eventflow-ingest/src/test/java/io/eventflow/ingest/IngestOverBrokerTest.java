package io.eventflow.ingest;

import static io.eventflow.ingest.TestEvents.event;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.eventflow.broker.BeamBrokerFixture;
import io.eventflow.common.ContentType;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.IncomingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.OutgoingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.SubscriptionPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.TopicPath;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job exactly as the local stack runs it: DirectRunner, no BigQuery, the archive as warehouse,
 * reading from and republishing to eventflow-broker over the wire ({@code --pubsubRootUrl}, Beam's
 * REST client), with topics and messages handled through the same REST API.
 */
class IngestOverBrokerTest {
  private static final String PROJECT = BeamBrokerFixture.PROJECT_ID;
  private static final TopicPath EVENTS = BeamBrokerFixture.topic("events");
  private static final TopicPath VALIDATED = BeamBrokerFixture.topic("events-validated");

  @TempDir Path directory;

  private BeamBrokerFixture broker;
  private PubsubClient client;
  private SubscriptionPath ingest;
  private SubscriptionPath rollups;

  @BeforeEach
  void startBroker() throws Exception {
    broker = BeamBrokerFixture.start();
    client = broker.client();
    ingest = broker.topicWithSubscription("events", "events-ingest");
    rollups = broker.topicWithSubscription("events-validated", "events-rollups");
  }

  @AfterEach
  void stopBroker() throws Exception {
    broker.close();
  }

  /**
   * Three messages go in: a JSON event, the same event published again by a retrying producer, and
   * an event without a timestamp. The validated topic gets the event once, as binary protobuf with
   * its attributes, and the broken one is dead-lettered.
   *
   * <p>"Once" is checked without a fixed wait: after both copies were parsed, a sentinel event is
   * published; it exists only after the second copy was handed to the dedup step, and the test
   * waits until the sentinel comes out on the validated topic before it counts the copies there.
   *
   * <p>Input acks are not asserted: the DirectRunner acknowledges a bundle only once it reads the
   * next non-empty one, so the last messages of a burst stay leased until more arrive.
   */
  @Test
  void jobReadsFromAndRepublishesToTheBroker() throws Exception {
    Event purchase = event("e-1").build();
    Event broken = event("e-2").clearTimestamp().build();
    client.publish(
        EVENTS,
        List.of(
            outgoing(purchase, ContentType.JSON),
            outgoing(purchase, ContentType.JSON),
            outgoing(broken, ContentType.PROTOBUF)));

    IngestPipeline.Options options =
        PipelineOptionsFactory.fromArgs(
                "--runner=DirectRunner",
                "--project=" + PROJECT,
                "--pubsubRootUrl=" + broker.rootUrl(),
                "--credentialFactoryClass=" + NoopCredentialFactory.class.getName(),
                "--inputSubscription=" + ingest.getPath(),
                "--validatedTopic=" + VALIDATED.getPath(),
                "--archiveLocation=" + directory.resolve("archive"))
            .withValidation()
            .as(IngestPipeline.Options.class);
    // A streaming job never finishes: run() must return so the test can watch and cancel it.
    options.as(DirectOptions.class).setBlockOnRun(false);
    IngestPipeline.Services services =
        new IngestPipeline.Services(TestEvents.CLOCK, () -> "run1", null, null, null);

    List<IncomingMessage> republished = new ArrayList<>();
    PipelineResult result = IngestPipeline.create(options, services).run();
    try {
      // Guards against a hang, not timing checks: each normally takes a few seconds.
      awaitWhilePulling(
          republished,
          () ->
              parsed(result, ParseEvents.validCounterName("purchase")) == 2
                  && parsed(result, ParseEvents.invalidCounterName(InvalidReason.MISSING_TIMESTAMP))
                      == 1
                  && !republished.isEmpty(),
          "both copies of e-1 parsed, e-2 dead-lettered, e-1 republished");
      Event sentinel = event("e-3").build();
      client.publish(EVENTS, List.of(outgoing(sentinel, ContentType.PROTOBUF)));
      awaitWhilePulling(
          republished,
          () -> republished.stream().anyMatch(m -> isEvent(m, "e-3")),
          "the sentinel e-3 republished");
    } finally {
      result.cancel();
    }

    assertThat(republished).filteredOn(m -> isEvent(m, "e-3")).hasSize(1);
    republished.removeIf(m -> isEvent(m, "e-3"));
    assertThat(republished).hasSize(1);
    com.google.pubsub.v1.PubsubMessage message = republished.get(0).message();
    assertThat(Event.parseFrom(message.getData())).isEqualTo(purchase);
    assertThat(message.getAttributesMap())
        .containsEntry(MessageAttributes.ID, "e-1")
        .containsEntry(MessageAttributes.TYPE, "purchase")
        .containsEntry(MessageAttributes.SOURCE, "checkout-service")
        .containsEntry(MessageAttributes.CUSTOMER, "customer-7")
        .containsEntry(MessageAttributes.TIMESTAMP, "2026-03-01T11:00:00Z")
        .containsEntry(MessageAttributes.CONTENT_TYPE, ContentType.PROTOBUF.mimeType());
  }

  /** Pulls the validated topic into {@code republished} until {@code done} holds, or fails. */
  private void awaitWhilePulling(List<IncomingMessage> republished, Await.Check done, String what)
      throws Exception {
    Await.untilHolds(
        what,
        Duration.ofMinutes(3),
        () -> {
          if (done.holds()) {
            return true;
          }
          republished.addAll(broker.pullAndAck(rollups, 100));
          return false;
        });
  }

  private static boolean isEvent(IncomingMessage message, String id) {
    return id.equals(message.message().getAttributesMap().get(MessageAttributes.ID));
  }

  private static long parsed(PipelineResult result, String counter) {
    return IngestHarness.counter(result, counter);
  }

  private static OutgoingMessage outgoing(Event event, ContentType contentType) {
    com.google.pubsub.v1.PubsubMessage message =
        com.google.pubsub.v1.PubsubMessage.newBuilder()
            .setData(ByteString.copyFrom(TestEvents.payload(event, contentType)))
            .putAllAttributes(TestEvents.attributes(event, contentType))
            .build();
    return OutgoingMessage.of(message, 0, null, null);
  }
}
