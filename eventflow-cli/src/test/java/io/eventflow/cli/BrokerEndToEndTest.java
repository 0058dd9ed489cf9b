package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.common.EventJson;
import io.eventflow.common.EventValidator;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.Event;
import io.eventflow.publisher.BrokerFixture;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs {@code eventflow publish} and {@code feed} against a real eventflow-broker. */
class BrokerEndToEndTest {
  private static final String PURCHASE =
      "{\"id\":\"evt-1\",\"type\":\"purchase\",\"source\":\"shop\",\"customer\":\"customer-42\","
          + "\"timestamp\":\"2026-03-01T11:59:00Z\",\"attributes\":{\"amount_cents\":{\"intValue\":\"1999\"}}}";
  private static final String SIGNUP =
      "{\"id\":\"evt-2\",\"type\":\"signup\",\"source\":\"web\","
          + "\"timestamp\":\"2026-03-01T11:59:30.500Z\",\"attributes\":{\"trial\":{\"boolValue\":true}}}";

  private BrokerFixture broker;

  @BeforeEach
  void startBroker() throws Exception {
    broker = BrokerFixture.start();
  }

  @AfterEach
  void stopBroker() throws Exception {
    broker.close();
  }

  @Test
  void publishedLinesReachSubscribersUnchanged() throws Exception {
    String subscription = broker.createTopicAndSubscription("events", "");

    CliRunner.Result result =
        new CliRunner()
            .env("PUBSUB_EMULATOR_HOST", broker.hostAndPort())
            .stdin(PURCHASE + "\n" + SIGNUP + "\n")
            .run("publish", "--topic", BrokerFixture.topic("events"), "--format", "json");

    assertThat(result.exitCode()).as(result.err()).isZero();
    Map<String, PubsubMessage> received = broker.pull(subscription, 2);
    assertThat(received).hasSize(2);
    assertThat(EventJson.parse(received.get("evt-1").getData().toByteArray()))
        .isEqualTo(EventJson.parse(PURCHASE));
    assertThat(EventJson.parse(received.get("evt-2").getData().toByteArray()))
        .isEqualTo(EventJson.parse(SIGNUP));
    assertThat(received.get("evt-2").getAttributesMap())
        .containsEntry("event.timestamp", "2026-03-01T11:59:30.500Z")
        .containsEntry("content-type", "application/json");
  }

  @Test
  void aFeedReachesSubscribersAsValidEvents() throws Exception {
    String subscription = broker.createTopicAndSubscription("feed", "");

    CliRunner.Result result =
        new CliRunner()
            .run(
                "feed",
                "--topic",
                BrokerFixture.topic("feed"),
                "--emulator",
                broker.hostAndPort(),
                "--rate",
                "100000",
                "--count",
                "100",
                "--seed",
                "5");

    assertThat(result.exitCode()).as(result.err()).isZero();
    Map<String, PubsubMessage> received = broker.pull(subscription, 100);
    assertThat(received).hasSize(100);
    EventValidator validator =
        new EventValidator(ValidationLimits.DEFAULTS, Clock.fixed(CliRunner.NOW, ZoneOffset.UTC));
    for (PubsubMessage message : received.values()) {
      Event event = Event.parseFrom(message.getData());
      assertThat(validator.validate(event)).isEmpty();
      assertThat(message.getAttributesMap()).containsEntry("event.type", event.getType());
    }
  }
}
