package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.broker.BrokerFixture;
import io.eventflow.common.EventJson;
import io.eventflow.common.EventValidator;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.Event;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code eventflow publish}, {@code feed} and {@code broker status} against a real
 * eventflow-broker.
 */
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

  /**
   * Two published events, one delivered: the subscription's row says 2 unacknowledged, 1 leased,
   * delivered 0 and 1 times once each; JSON says the same with Cloud Monitoring's names.
   */
  @Test
  void printsEachSubscriptionsBacklog() throws Exception {
    String subscription = broker.createTopicAndSubscription("status", "");
    CliRunner.Result published =
        new CliRunner()
            .env("PUBSUB_EMULATOR_HOST", broker.hostAndPort())
            .stdin(PURCHASE + "\n" + SIGNUP + "\n")
            .run("publish", "--topic", BrokerFixture.topic("status"), "--format", "json");
    assertThat(published.exitCode()).as(published.err()).isZero();
    // One message leased with a plain REST Pull (the fixture's own pull acknowledges).
    HttpResponse<String> pulled =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://" + broker.hostAndPort() + "/v1/" + subscription + ":pull"))
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"maxMessages\":1,\"returnImmediately\":true}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(pulled.body()).contains("\"receivedMessages\":[{\"ackId\"");

    CliRunner.Result table =
        new CliRunner().env("PUBSUB_EMULATOR_HOST", broker.hostAndPort()).run("broker", "status");
    assertThat(table.exitCode()).as(table.err()).isZero();
    assertThat(table.out())
        .startsWith("SUBSCRIPTION")
        .contains("DELIVERED 0/1/2/3/4+")
        .containsPattern(subscription + " +2 +\\d+ +\\d+\\.\\ds +1 +1/1/0/0/0\\n");

    CliRunner.Result json =
        new CliRunner()
            .run("broker", "status", "--emulator", broker.hostAndPort(), "--format", "json");
    assertThat(json.exitCode()).as(json.err()).isZero();
    assertThat(json.out())
        .startsWith("{\"subscriptions\":[{\"name\":\"" + subscription + "\"")
        .contains("\"num_undelivered_messages\":2")
        .contains("\"num_outstanding_messages\":1")
        .contains("\"delivery_attempts\":{\"0\":1,\"1\":1,\"2\":0,\"3\":0,\"4+\":0}");
  }

  /** Without an address, or with an unknown format, one line says what is wrong. */
  @Test
  void badInputIsOneClearLine() {
    CliRunner.Result noAddress = new CliRunner().run("broker", "status");
    assertThat(noAddress.exitCode()).isEqualTo(2);
    assertThat(noAddress.err()).contains("pass --emulator HOST:PORT or set PUBSUB_EMULATOR_HOST");

    CliRunner.Result badFormat =
        new CliRunner().run("broker", "status", "--emulator", "127.0.0.1:1", "--format", "xml");
    assertThat(badFormat.exitCode()).isEqualTo(2);
    assertThat(badFormat.err()).contains("--format must be table or json (got xml)");

    CliRunner.Result unreachable =
        new CliRunner().run("broker", "status", "--emulator", "127.0.0.1:1");
    assertThat(unreachable.exitCode()).isNotZero();
    assertThat(unreachable.err().strip())
        .contains("cannot reach the broker at")
        .doesNotContain("\n");
  }
}
