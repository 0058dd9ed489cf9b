package io.eventflow.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.core.ApiFuture;
import com.google.protobuf.StringValue;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.broker.BrokerFixture;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.pb.Event;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Publishes with {@link EventPublisher} to a real eventflow-broker on a loopback port and pulls
 * with the official {@code Subscriber}: what a subscriber receives is exactly what was published.
 */
class BrokerEndToEndTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  private BrokerFixture broker;

  @BeforeEach
  void startBroker() throws Exception {
    broker = BrokerFixture.start();
  }

  @AfterEach
  void stopBroker() throws Exception {
    broker.close();
  }

  private EventPublisher.Builder publisher(String topicId) {
    AtomicInteger ids = new AtomicInteger();
    return EventPublisher.newBuilder(BrokerFixture.topic(topicId))
        .emulatorHost(broker.hostAndPort())
        .environment(name -> null)
        .clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .idGenerator(() -> "event-" + ids.incrementAndGet())
        .defaultSource("e2e-test");
  }

  private static Event.Builder purchase(long cents) {
    return Event.newBuilder()
        .setType("purchase")
        .setCustomer(StringValue.of("customer-42"))
        .putAttributes("amount_cents", AttributeValues.of(cents))
        .putAttributes("checkout_time", AttributeValues.of(Durations.fromMillis(41_500)));
  }

  /** The event the publisher sends for {@code purchase(cents)} as its n-th event. */
  private static Event published(long cents, int n) {
    return purchase(cents)
        .setId("event-" + n)
        .setSource("e2e-test")
        .setTimestamp(Timestamps.fromMillis(NOW.toEpochMilli()))
        .build();
  }

  /** Publishes the events, flushes, and checks the broker confirmed every one. */
  private static void publishAll(EventPublisher publisher, List<Event.Builder> events)
      throws Exception {
    List<ApiFuture<String>> futures = new ArrayList<>();
    for (Event.Builder event : events) {
      futures.add(publisher.publish(event));
    }
    publisher.flush();
    for (ApiFuture<String> future : futures) {
      future.get();
    }
  }

  /** The names of the live threads of the emulator channel's own event loop. */
  private static Set<String> emulatorLoopThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith(EventPublisher.EmulatorChannel.THREAD_NAME))
        .collect(Collectors.toSet());
  }

  @Test
  void theEmulatorChannelRunsOnALoopOfItsOwnThatStopsWithThePublisher() throws Exception {
    // gRPC's shared loop would still be in epoll_wait after close, and the JVM's exit waits up to
    // 300 ms for such threads: eventflow publish to the local broker paid that at every exit.
    broker.createTopicAndSubscription("events", "");
    EventPublisher publisher = publisher("events").build();
    publisher.publish(purchase(1)).get();

    assertThat(emulatorLoopThreads()).hasSize(1);

    publisher.close();

    assertThat(emulatorLoopThreads()).isEmpty();
  }

  @Test
  void subscribersReceiveExactlyWhatWasPublished() throws Exception {
    String subscription = broker.createTopicAndSubscription("events", "");
    List<Event.Builder> events = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      events.add(purchase(i));
    }
    try (EventPublisher publisher = publisher("events").build()) {
      publishAll(publisher, events);
    }

    Map<String, PubsubMessage> received = broker.pull(subscription, 100);

    assertThat(received).hasSize(100);
    for (int i = 1; i <= 100; i++) {
      Event event = published(i, i);
      PubsubMessage message = received.get(event.getId());
      assertThat(Event.parseFrom(message.getData())).isEqualTo(event);
      assertThat(message.getAttributesMap())
          .containsExactlyInAnyOrderEntriesOf(
              Map.of(
                  "event.id", event.getId(),
                  "event.timestamp", "2026-03-01T12:00:00Z",
                  "event.type", "purchase",
                  "event.source", "e2e-test",
                  "event.customer", "customer-42",
                  "content-type", "application/protobuf"));
    }
  }

  @Test
  void jsonPayloadsArriveAsPublished() throws Exception {
    String subscription = broker.createTopicAndSubscription("json-events", "");
    try (EventPublisher publisher =
        publisher("json-events").contentType(ContentType.JSON).build()) {
      publishAll(publisher, List.of(purchase(1999)));
    }

    PubsubMessage message = broker.pull(subscription, 1).get("event-1");

    assertThat(message.getAttributesMap()).containsEntry("content-type", "application/json");
    assertThat(EventJson.parse(message.getData().toByteArray())).isEqualTo(published(1999, 1));
  }

  @Test
  void subscriptionsCanFilterOnTheEventTypeAttribute() throws Exception {
    String subscription =
        broker.createTopicAndSubscription("mixed", "attributes.\"event.type\" = \"signup\"");
    try (EventPublisher publisher = publisher("mixed").build()) {
      publishAll(
          publisher,
          List.of(
              purchase(1),
              Event.newBuilder().setType("signup").putAttributes("trial", AttributeValues.of(true)),
              purchase(2)));
    }

    Map<String, PubsubMessage> received = broker.pull(subscription, 1);

    assertThat(received.keySet()).containsExactly("event-2");
    assertThat(received.get("event-2").getAttributesMap()).containsEntry("event.type", "signup");
  }
}
