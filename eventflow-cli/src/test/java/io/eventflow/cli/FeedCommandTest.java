package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.common.EventValidator;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.Event;
import io.eventflow.publisher.MockPubSubServer;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FeedCommandTest {
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

  private CliRunner.Result feed(String... flags) {
    List<String> args =
        new ArrayList<>(List.of("feed", "--topic", TOPIC, "--emulator", pubsub.hostAndPort()));
    args.addAll(List.of(flags));
    return new CliRunner().run(args.toArray(String[]::new));
  }

  /**
   * Returns the published events in the order they were generated. Batches may reach the server in
   * any order, but the ids are UUIDv7s from one generator, so they sort in generation order.
   */
  private static List<Event> events(List<PubsubMessage> messages) throws Exception {
    List<Event> events = new ArrayList<>();
    for (PubsubMessage message : messages) {
      events.add(Event.parseFrom(message.getData()));
    }
    events.sort(Comparator.comparing(Event::getId));
    return events;
  }

  @Test
  void publishesCountEventsAndReportsTheAchievedRate() throws Exception {
    // The test ticker advances one second per reading: the run measures exactly one second.
    CliRunner.Result result = feed("--rate", "100000/s", "--count", "200", "--seed", "42");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out().lines().toList())
        .first()
        .isEqualTo(
            "published 200 events to " + TOPIC + " in 1.0 s: 200.0 events/s (target 100000/s)");
    assertThat(result.out())
        .contains("page_view ")
        .endsWith("seed 42 (--seed 42 repeats this feed)\n");
    assertThat(pubsub.messages()).hasSize(200);
  }

  @Test
  void everyFedEventIsValidAndCarriesItsAttributes() throws Exception {
    feed("--rate", "100000", "--count", "300", "--seed", "1");

    EventValidator validator =
        new EventValidator(ValidationLimits.DEFAULTS, Clock.fixed(CliRunner.NOW, ZoneOffset.UTC));
    for (PubsubMessage message : pubsub.messages()) {
      Event event = Event.parseFrom(message.getData());
      assertThat(validator.validate(event)).isEmpty();
      assertThat(event.getSource()).isEqualTo("eventflow-feed");
      assertThat(message.getAttributesMap())
          .containsEntry("event.id", event.getId())
          .containsEntry("event.type", event.getType())
          .containsEntry("event.timestamp", "2026-03-01T12:00:00Z");
    }
  }

  @Test
  void theSameSeedGivesTheSameEvents() throws Exception {
    feed("--rate", "100000", "--count", "50", "--seed", "42");
    List<PubsubMessage> firstRun = pubsub.messages();

    feed("--rate", "100000", "--count", "50", "--seed", "42");
    List<PubsubMessage> bothRuns = pubsub.messages();

    List<Event> first = events(firstRun);
    List<Event> second = events(bothRuns.subList(firstRun.size(), bothRuns.size()));
    assertThat(first).hasSize(50);
    assertThat(second).isEqualTo(first);
  }

  @Test
  void differentSeedsGiveDifferentEvents() throws Exception {
    feed("--rate", "100000", "--count", "50", "--seed", "1");
    List<PubsubMessage> firstRun = pubsub.messages();
    feed("--rate", "100000", "--count", "50", "--seed", "2");
    List<PubsubMessage> bothRuns = pubsub.messages();

    List<Event> first = events(firstRun);
    List<Event> second = events(bothRuns.subList(firstRun.size(), bothRuns.size()));
    assertThat(second).hasSize(50).isNotEqualTo(first);
  }

  @Test
  void generatesOnlyTheRequestedTypes() throws Exception {
    CliRunner.Result result =
        feed("--rate", "100000", "--count", "100", "--types", "purchase,signup", "--seed", "3");

    assertThat(result.exitCode()).isZero();
    assertThat(events(pubsub.messages()))
        .extracting(Event::getType)
        .containsOnly("purchase", "signup");
  }

  @Test
  void stopsWhenTheDurationHasPassed() {
    // Ticker readings 1 s apart: start at 1 s, then 2, 3, 4 and 5 s are within the 5 s; 6 s is not.
    CliRunner.Result result = feed("--rate", "100000", "--duration", "5s", "--seed", "3");

    assertThat(result.exitCode()).isZero();
    assertThat(pubsub.messages()).hasSize(4);
  }

  @Test
  void aNonPositiveRateIsAUsageError() {
    CliRunner.Result result = feed("--rate", "0", "--count", "1");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err()).startsWith("Invalid value for option '--rate': rate must be positive");
  }

  @Test
  void anUnknownTypeIsAUsageError() {
    CliRunner.Result result = feed("--rate", "10", "--types", "purchase,refund");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err())
        .startsWith("Invalid value for option '--types' (TYPE): unknown event type 'refund'");
    assertThat(pubsub.requests()).isEmpty();
  }

  @Test
  void aBadDurationIsAUsageError() {
    CliRunner.Result result = feed("--rate", "10", "--duration", "soon");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err())
        .startsWith(
            "Invalid value for option '--duration': expected a duration like 500ms, 30s, 5m or 1h,"
                + " got 'soon'");
  }
}
