package io.eventflow.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.core.ApiFuture;
import com.google.api.gax.batching.FlowController;
import com.google.api.gax.batching.FlowController.LimitExceededBehavior;
import com.google.api.gax.rpc.NotFoundException;
import com.google.protobuf.ByteString;
import com.google.protobuf.StringValue;
import com.google.protobuf.util.Timestamps;
import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EventPublisherTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final String TOPIC = "projects/demo/topics/events";

  private MockPubSubServer pubsub;

  @BeforeEach
  void startPubSub() throws Exception {
    pubsub = MockPubSubServer.start();
  }

  @AfterEach
  void stopPubSub() throws Exception {
    pubsub.close();
  }

  /**
   * A publisher to the mock on a fixed clock, numbering ids event-1, event-2..., whose batches wait
   * for a flush (an hour's delay) unless a test says otherwise.
   */
  private EventPublisher.Builder publisher() {
    AtomicInteger ids = new AtomicInteger();
    return EventPublisher.newBuilder(TOPIC)
        .emulatorHost(pubsub.hostAndPort())
        .environment(name -> null)
        .clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .idGenerator(() -> "event-" + ids.incrementAndGet())
        .defaultSource("test-service")
        .batching(1_000, 1_000_000, Duration.ofHours(1));
  }

  /** Publishes the events, flushes, and checks that Pub/Sub confirmed every one. */
  private static void publishAndFlush(EventPublisher publisher, Event.Builder... events)
      throws Exception {
    List<ApiFuture<String>> futures = new ArrayList<>();
    for (Event.Builder event : events) {
      futures.add(publisher.publish(event));
    }
    publisher.flush();
    for (ApiFuture<String> future : futures) {
      assertThat(future.isDone()).isTrue();
      future.get();
    }
  }

  private static Event.Builder purchase() {
    return Event.newBuilder()
        .setType("purchase")
        .setCustomer(StringValue.of("customer-42"))
        .putAttributes("amount_cents", AttributeValues.of(1999L))
        .putAttributes("discount", AttributeValues.of(0.15));
  }

  private static Event.Builder complete(Event.Builder event, String id) {
    return event
        .setId(id)
        .setSource("test-service")
        .setTimestamp(Timestamps.fromMillis(NOW.toEpochMilli()));
  }

  @Test
  void publishesBinaryProtobufWithEventAttributes() throws Exception {
    try (EventPublisher publisher = publisher().build()) {
      publishAndFlush(publisher, purchase());
    }

    Event expected = complete(purchase(), "event-1").build();
    assertThat(pubsub.messages())
        .containsExactly(
            PubsubMessage.newBuilder()
                .setData(expected.toByteString())
                .putAllAttributes(
                    Map.of(
                        "event.id", "event-1",
                        "event.timestamp", "2026-03-01T12:00:00Z",
                        "event.type", "purchase",
                        "event.source", "test-service",
                        "event.customer", "customer-42",
                        "content-type", "application/protobuf"))
                .build());
    assertThat(pubsub.requests())
        .singleElement()
        .satisfies(r -> assertThat(r.getTopic()).isEqualTo(TOPIC));
  }

  @Test
  void publishesProto3JsonWhenConfigured() throws Exception {
    try (EventPublisher publisher = publisher().contentType(ContentType.JSON).build()) {
      publishAndFlush(publisher, purchase());
    }

    PubsubMessage message = pubsub.messages().get(0);
    Event expected = complete(purchase(), "event-1").build();
    assertThat(message.getData()).isEqualTo(ByteString.copyFrom(EventJson.printBytes(expected)));
    assertThat(EventJson.parse(message.getData().toByteArray())).isEqualTo(expected);
    assertThat(message.getAttributesMap()).containsEntry("content-type", "application/json");
  }

  @Test
  void futureYieldsTheEventId() throws Exception {
    try (EventPublisher publisher = publisher().build()) {
      ApiFuture<String> generated = publisher.publish(purchase());
      ApiFuture<String> given = publisher.publish(purchase().setId("given-id"));
      publisher.flush();

      assertThat(generated.get()).isEqualTo("event-1");
      assertThat(given.get()).isEqualTo("given-id");
    }
  }

  @Test
  void keepsGivenIdTimestampAndSourceForBackfill() throws Exception {
    Event historical =
        purchase()
            .setId("0190b3a4-0000-7000-8000-000000000001")
            .setSource("legacy-importer")
            .setTimestamp(Timestamps.parse("2024-07-01T08:30:00.250Z"))
            .build();
    try (EventPublisher publisher = publisher().build()) {
      publishAndFlush(publisher, historical.toBuilder());
    }

    PubsubMessage message = pubsub.messages().get(0);
    assertThat(Event.parseFrom(message.getData())).isEqualTo(historical);
    assertThat(message.getAttributesMap())
        .containsEntry("event.id", "0190b3a4-0000-7000-8000-000000000001")
        .containsEntry("event.source", "legacy-importer")
        .containsEntry("event.timestamp", "2024-07-01T08:30:00.250Z");
  }

  @Test
  void leavesTheCallersBuilderUnchanged() throws Exception {
    Event.Builder event = purchase();
    try (EventPublisher publisher = publisher().build()) {
      publishAndFlush(publisher, event);
    }

    assertThat(event.getId()).isEmpty();
    assertThat(event.hasTimestamp()).isFalse();
    assertThat(event.getSource()).isEmpty();
  }

  @Test
  void omitsTheCustomerAttributeWhenTheEventHasNoCustomer() throws Exception {
    try (EventPublisher publisher = publisher().build()) {
      publishAndFlush(publisher, purchase().clearCustomer());
    }

    assertThat(pubsub.messages().get(0).getAttributesMap()).doesNotContainKey("event.customer");
  }

  @Test
  void rejectsABlankTypeBeforeSending() throws Exception {
    try (EventPublisher publisher = publisher().build()) {
      assertThatThrownBy(() -> publisher.publish(purchase().setType("  ")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("invalid event: MISSING_TYPE: event type is blank")
          .satisfies(
              e ->
                  assertThat(((InvalidEventException) e).violation().reason())
                      .isEqualTo(InvalidReason.MISSING_TYPE));
    }

    assertThat(pubsub.requests()).isEmpty();
  }

  @Test
  void rejectsAnEventWithoutAttributes() throws Exception {
    try (EventPublisher publisher = publisher().build()) {
      assertThatThrownBy(() -> publisher.publish(purchase().clearAttributes()))
          .isInstanceOf(InvalidEventException.class)
          .hasMessageContaining("NO_ATTRIBUTES");
    }

    assertThat(pubsub.requests()).isEmpty();
  }

  @Test
  void rejectsAnEventWithoutSourceWhenThereIsNoDefault() throws Exception {
    try (EventPublisher publisher = publisher().defaultSource("").build()) {
      assertThatThrownBy(() -> publisher.publish(purchase()))
          .isInstanceOf(InvalidEventException.class)
          .hasMessageContaining("MISSING_SOURCE");
    }
  }

  @Test
  void rejectsATimestampFarInTheFuture() throws Exception {
    try (EventPublisher publisher = publisher().build()) {
      assertThatThrownBy(
              () ->
                  publisher.publish(
                      purchase().setTimestamp(Timestamps.parse("2026-03-03T12:00:00Z"))))
          .isInstanceOf(InvalidEventException.class)
          .hasMessageContaining("TIMESTAMP_TOO_FAR_IN_FUTURE");
    }
  }

  @Test
  void rejectsAPayloadOverTheLimit() throws Exception {
    ValidationLimits limits = ValidationLimits.DEFAULTS.withMaxPayloadBytes(100);
    try (EventPublisher publisher = publisher().validationLimits(limits).build()) {
      Event.Builder big = purchase().putAttributes("note", AttributeValues.of("x".repeat(200)));
      assertThatThrownBy(() -> publisher.publish(big))
          .isInstanceOf(InvalidEventException.class)
          .hasMessageContaining("PAYLOAD_TOO_LARGE")
          .hasMessageContaining("more than 100");
    }

    assertThat(pubsub.requests()).isEmpty();
  }

  @Test
  void sendsABatchAsSoonAsItHoldsTheEventThreshold() throws Exception {
    List<ApiFuture<String>> firstSix = new ArrayList<>();
    try (EventPublisher publisher =
        publisher().batching(3, 1_000_000, Duration.ofHours(1)).build()) {
      for (int i = 0; i < 6; i++) {
        firstSix.add(publisher.publish(purchase()));
      }
      // Two full batches were sent without a flush; the hour-long delay never passed.
      for (ApiFuture<String> future : firstSix) {
        future.get();
      }
      assertThat(pubsub.requests()).extracting(r -> r.getMessagesCount()).containsExactly(3, 3);

      publishAndFlush(publisher, purchase());
    }

    assertThat(pubsub.requests()).extracting(r -> r.getMessagesCount()).containsExactly(3, 3, 1);
  }

  @Test
  void flushSendsAPartialBatchAndWaitsForIt() throws Exception {
    try (EventPublisher publisher = publisher().build()) {
      ApiFuture<String> first = publisher.publish(purchase());
      ApiFuture<String> second = publisher.publish(purchase());
      assertThat(publisher.outstandingEvents()).isEqualTo(2);

      publisher.flush();

      assertThat(first.isDone()).isTrue();
      assertThat(second.isDone()).isTrue();
      assertThat(publisher.outstandingEvents()).isZero();
    }
    assertThat(pubsub.requests()).extracting(r -> r.getMessagesCount()).containsExactly(2);
  }

  @Test
  void sendBufferedSendsAPartialBatchWithoutWaitingForTheDelay() throws Exception {
    try (EventPublisher publisher = publisher().build()) {
      ApiFuture<String> first = publisher.publish(purchase());
      ApiFuture<String> second = publisher.publish(purchase());

      publisher.sendBuffered();

      // Confirmed although the hour-long batch delay never passed and nobody flushed.
      assertThat(first.get()).isEqualTo("event-1");
      assertThat(second.get()).isEqualTo("event-2");
      assertThat(pubsub.requests()).extracting(r -> r.getMessagesCount()).containsExactly(2);
    }
  }

  @Test
  void closeDrainsBufferedEvents() throws Exception {
    List<ApiFuture<String>> futures = new ArrayList<>();
    EventPublisher publisher = publisher().build();
    for (int i = 0; i < 5; i++) {
      futures.add(publisher.publish(purchase()));
    }

    publisher.close();

    assertThat(pubsub.messages()).hasSize(5);
    for (ApiFuture<String> future : futures) {
      assertThat(future.isDone()).isTrue();
      future.get();
    }
  }

  @Test
  void closeGivesUpAfterItsTimeoutNamingTheUnconfirmedEvents() throws Exception {
    pubsub.holdResponses();
    EventPublisher publisher = publisher().closeTimeout(Duration.ofMillis(200)).build();
    ApiFuture<String> held = publisher.publish(purchase());

    assertThatThrownBy(publisher::close)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("1 event to " + TOPIC + " were still unconfirmed after PT0.2S");

    pubsub.releaseResponses();
    assertThat(held.get()).isEqualTo("event-1");
  }

  @Test
  void publishingAfterCloseFails() throws Exception {
    EventPublisher publisher = publisher().build();
    publisher.close();

    assertThatThrownBy(() -> publisher.publish(purchase()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> publisher.publishAll(List.of(purchase().build())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void aRejectedRequestFailsTheFutureOfEveryEventInIt() throws Exception {
    pubsub.failNextPublish(Status.NOT_FOUND.withDescription("Topic not found"));
    try (EventPublisher publisher = publisher().build()) {
      ApiFuture<String> first = publisher.publish(purchase());
      ApiFuture<String> second = publisher.publish(purchase());
      ApiFuture<Void> group =
          publisher.publishAll(List.of(purchase().build(), purchase().build())).confirmed();
      publisher.flush();

      assertThat(publisher.outstandingEvents()).isZero();
      for (ApiFuture<?> future : List.of(first, second, group)) {
        assertThatThrownBy(future::get)
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(NotFoundException.class)
            .hasMessageContaining("Topic not found");
      }
    }
  }

  /** The valid events of a group are sent; the invalid one is named by position, not sent. */
  @Test
  void publishAllSendsTheValidEventsAndNamesTheInvalidOnes() throws Exception {
    PublishedEvents published;
    try (EventPublisher publisher = publisher().build()) {
      published =
          publisher.publishAll(
              List.of(purchase().build(), purchase().setType(" ").build(), purchase().build()));
      assertThat(published.confirmed().isDone()).isFalse(); // the batch waits for the flush
      publisher.flush();
      assertThat(published.confirmed().isDone()).isTrue();
      published.confirmed().get();
    }

    assertThat(published.ids()).containsExactly("event-1", "event-3");
    assertThat(published.invalid()).containsOnlyKeys(1);
    assertThat(published.invalid().get(1).violation().reason())
        .isEqualTo(InvalidReason.MISSING_TYPE);
    assertThat(pubsub.messages())
        .extracting(m -> m.getAttributesOrThrow("event.id"))
        .containsExactly("event-1", "event-3");
    assertThat(pubsub.messages().get(1).getData())
        .isEqualTo(complete(purchase(), "event-3").build().toByteString());
  }

  /** A group with nothing valid to send is confirmed at once. */
  @Test
  void publishAllOfOnlyInvalidEventsIsConfirmedAtOnce() throws Exception {
    try (EventPublisher publisher = publisher().build()) {
      PublishedEvents published = publisher.publishAll(List.of(purchase().setType("").build()));
      assertThat(published.confirmed().isDone()).isTrue();
      assertThat(published.ids()).isEmpty();
      assertThat(publisher.outstandingEvents()).isZero();
    }
    assertThat(pubsub.messages()).isEmpty();
  }

  @Test
  void blockingFlowControlMakesPublishWaitForCapacity() throws Exception {
    pubsub.holdResponses();
    try (EventPublisher publisher =
        publisher()
            .batching(1, 1_000_000, Duration.ofHours(1))
            .flowControl(1, 1_000_000, LimitExceededBehavior.Block)
            .build()) {
      ApiFuture<String> first = publisher.publish(purchase());
      AtomicReference<ApiFuture<String>> secondFuture = new AtomicReference<>();
      Thread second = new Thread(() -> secondFuture.set(publisher.publish(purchase())));
      second.start();

      // The second publish can only wait for the first's slot, or (without flow control) finish.
      // Bounded: a publish stuck elsewhere (BLOCKED, TIMED_WAITING) must fail, not spin forever.
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (second.getState() != Thread.State.WAITING
          && second.getState() != Thread.State.TERMINATED) {
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError(
              "the second publish neither waited nor finished in 30 s: " + second.getState());
        }
        Thread.onSpinWait();
      }
      assertThat(second.getState()).isEqualTo(Thread.State.WAITING);
      assertThat(publisher.outstandingEvents()).isEqualTo(2);

      pubsub.releaseResponses();
      second.join();
      publisher.flush();
      assertThat(first.get()).isEqualTo("event-1");
      assertThat(secondFuture.get().get()).isEqualTo("event-2");
    }
    assertThat(pubsub.messages()).hasSize(2);
    assertThat(pubsub.maxMessagesInFlight()).isEqualTo(1);
  }

  @Test
  void throwingFlowControlFailsFastAtTheLimit() throws Exception {
    pubsub.holdResponses();
    try (EventPublisher publisher =
        publisher()
            .batching(1, 1_000_000, Duration.ofHours(1))
            .flowControl(1, 1_000_000, LimitExceededBehavior.ThrowException)
            .build()) {
      ApiFuture<String> first = publisher.publish(purchase());
      ApiFuture<String> second = publisher.publish(purchase());
      // A group's one future fails the same way.
      ApiFuture<Void> group = publisher.publishAll(List.of(purchase().build())).confirmed();

      for (ApiFuture<?> refused : List.of(second, group)) {
        assertThat(refused.isDone()).isTrue();
        assertThatThrownBy(refused::get)
            .cause()
            .isInstanceOf(FlowController.MaxOutstandingElementCountReachedException.class);
      }

      pubsub.releaseResponses();
      assertThat(first.get()).isEqualTo("event-1");
    }
    assertThat(pubsub.messages()).hasSize(1);
  }

  @Test
  void compressionGzipsRequestsAtOrAboveTheThreshold() throws Exception {
    try (EventPublisher small = publisher().compression(true, 100_000).build()) {
      publishAndFlush(small, purchase());
    }
    try (EventPublisher large = publisher().compression(true, 0).build()) {
      publishAndFlush(large, purchase());
    }

    assertThat(pubsub.requestEncodings()).containsExactly("identity", "gzip");
    assertThat(pubsub.messages()).hasSize(2);
    assertThat(Event.parseFrom(pubsub.messages().get(1).getData()))
        .isEqualTo(complete(purchase(), "event-1").build());
  }

  @Test
  void emulatorHostComesFromTheEnvironment() throws Exception {
    Map<String, String> environment =
        Map.of("PUBSUB_EMULATOR_HOST", pubsub.hostAndPort(), "GOOGLE_CLOUD_PROJECT", "demo");
    try (EventPublisher publisher =
        EventPublisher.newBuilder("events")
            .environment(environment::get)
            .defaultSource("test-service")
            .build()) {
      publishAndFlush(publisher, purchase());
    }

    assertThat(pubsub.requests())
        .singleElement()
        .satisfies(r -> assertThat(r.getTopic()).isEqualTo(TOPIC));
  }

  @Test
  void aBareTopicIdUsesTheGivenProject() throws Exception {
    try (EventPublisher publisher = publisher().build()) {
      assertThat(publisher.topic().toString()).isEqualTo(TOPIC);
    }
    try (EventPublisher publisher =
        EventPublisher.newBuilder("events")
            .project("other")
            .emulatorHost(pubsub.hostAndPort())
            .build()) {
      assertThat(publisher.topic().toString()).isEqualTo("projects/other/topics/events");
    }
  }

  @Test
  void aBareTopicIdWithoutAProjectIsAnError() {
    assertThatThrownBy(
            () ->
                EventPublisher.newBuilder("events")
                    .environment(name -> null)
                    .emulatorHost(pubsub.hostAndPort())
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "no project for topic events: set one, use projects/PROJECT/topics/TOPIC, or set"
                + " GOOGLE_CLOUD_PROJECT");
  }

  @Test
  void aTopicInAnotherProjectThanTheGivenOneIsAnError() {
    assertThatThrownBy(
            () ->
                EventPublisher.newBuilder(TOPIC)
                    .project("other")
                    .emulatorHost(pubsub.hostAndPort())
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("topic " + TOPIC + " is in project demo, not other");
  }

  @Test
  void batchesCannotExceedPubSubRequestLimits() {
    assertThatThrownBy(() -> publisher().batching(1_001, 1_000_000, Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 to 1000 events");
    assertThatThrownBy(() -> publisher().batching(1_000, 20_000_000, Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 to 10000000");
  }

  @Test
  void flowControlMustBound() {
    assertThatThrownBy(() -> publisher().flowControl(10, 10, LimitExceededBehavior.Ignore))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
