package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.StringValue;
import com.google.protobuf.util.Timestamps;
import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.EventJson;
import io.eventflow.common.pb.Event;
import io.eventflow.publisher.MockPubSubServer;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublishCommandTest {
  private static final String TOPIC = "projects/demo/topics/events";

  private static final String PURCHASE =
      "{\"id\":\"evt-1\",\"type\":\"purchase\",\"source\":\"shop\",\"customer\":\"customer-42\","
          + "\"timestamp\":\"2026-03-01T11:59:00Z\",\"attributes\":{\"amount_cents\":{\"intValue\":\"1999\"}}}";
  private static final String SIGNUP =
      "{\"id\":\"evt-2\",\"type\":\"signup\",\"source\":\"web\","
          + "\"timestamp\":\"2026-03-01T11:59:30.500Z\",\"attributes\":{\"trial\":{\"boolValue\":true}}}";
  private static final String NO_TYPE =
      "{\"id\":\"evt-3\",\"source\":\"web\",\"timestamp\":\"2026-03-01T11:59:30Z\","
          + "\"attributes\":{\"trial\":{\"boolValue\":true}}}";

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
   * Returns the published message of the event with the given id; batches may arrive in any order.
   */
  private PubsubMessage message(String eventId) {
    return pubsub.messages().stream()
        .filter(m -> eventId.equals(m.getAttributesMap().get("event.id")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no message for event " + eventId));
  }

  private CliRunner.Result publish(String stdin, String... flags) {
    String[] args = new String[flags.length + 5];
    args[0] = "publish";
    args[1] = "--topic";
    args[2] = TOPIC;
    args[3] = "--emulator";
    args[4] = pubsub.hostAndPort();
    System.arraycopy(flags, 0, args, 5, flags.length);
    return new CliRunner().stdin(stdin).run(args);
  }

  @Test
  void publishesEveryLineUnchangedAndSummarizes() throws Exception {
    CliRunner.Result result = publish(PURCHASE + "\n" + SIGNUP + "\n");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("published 2 events to " + TOPIC + "\n");
    assertThat(result.err()).isEmpty();
    assertThat(pubsub.messages()).hasSize(2);
    // Kept ids and timestamps are published unchanged: this is how history is backfilled.
    assertThat(Event.parseFrom(message("evt-1").getData()))
        .isEqualTo(
            Event.newBuilder()
                .setId("evt-1")
                .setType("purchase")
                .setSource("shop")
                .setCustomer(StringValue.of("customer-42"))
                .setTimestamp(Timestamps.parse("2026-03-01T11:59:00Z"))
                .putAttributes("amount_cents", AttributeValues.of(1999L))
                .build());
    assertThat(message("evt-2").getAttributesMap())
        .containsEntry("event.id", "evt-2")
        .containsEntry("event.timestamp", "2026-03-01T11:59:30.500Z")
        .containsEntry("event.type", "signup")
        .containsEntry("content-type", "application/protobuf")
        .doesNotContainKey("event.customer");
  }

  @Test
  void reportsRejectedLinesWithTheirNumbersAndPublishesTheRest() throws Exception {
    String input = PURCHASE + "\n{\"type\": \"purchase\",\n\n" + NO_TYPE + "\r\n" + SIGNUP;

    CliRunner.Result result = publish(input);

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_REJECTED);
    assertThat(result.out())
        .startsWith(
            "published 2 events to "
                + TOPIC
                + "\nrejected 2 lines:\n  line 2: MALFORMED_JSON: not a JSON event: ")
        .endsWith("\n  line 4: MISSING_TYPE: event type is blank\n");
    assertThat(result.out().lines()).hasSize(4);
    assertThat(pubsub.messages())
        .extracting(m -> m.getAttributesMap().get("event.id"))
        .containsExactlyInAnyOrder("evt-1", "evt-2");
  }

  @Test
  void rejectsALineLongerThanTheLimitWithItsNumberAndPublishesTheRest() {
    String huge = "{\"type\":\"" + "x".repeat(300) + "\"}";

    CliRunner.Result result =
        publish(PURCHASE + "\n" + huge + "\n" + SIGNUP + "\n", "--max-line-bytes", "300");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_REJECTED);
    assertThat(result.out())
        .isEqualTo(
            "published 2 events to "
                + TOPIC
                + "\nrejected 1 line:\n  line 2: PAYLOAD_TOO_LARGE: line is "
                + huge.length()
                + " bytes, longer than the --max-line-bytes limit of 300\n");
    assertThat(pubsub.messages()).hasSize(2);
  }

  @Test
  void aNonPositiveLineLimitIsAUsageError() {
    CliRunner.Result result = publish(PURCHASE + "\n", "--max-line-bytes", "0");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err()).startsWith("--max-line-bytes must be positive, got 0");
  }

  @Test
  void fillsInMissingIdTimestampAndSource() throws Exception {
    CliRunner.Result result =
        publish(
            "{\"type\":\"page_view\",\"attributes\":{\"bytes\":{\"intValue\":\"512\"}}}\n",
            "--source",
            "importer");

    assertThat(result.exitCode()).isZero();
    Event published = Event.parseFrom(pubsub.messages().get(0).getData());
    assertThat(published.getId()).hasSize(36);
    assertThat(published.getSource()).isEqualTo("importer");
    assertThat(Timestamps.toString(published.getTimestamp())).isEqualTo("2026-03-01T12:00:00Z");
  }

  @Test
  void aLineWithoutSourceIsRejectedWhenNoDefaultIsGiven() {
    CliRunner.Result result =
        publish("{\"type\":\"page_view\",\"attributes\":{\"bytes\":{\"intValue\":\"512\"}}}\n");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_REJECTED);
    assertThat(result.out()).contains("  line 1: MISSING_SOURCE: event source is blank\n");
    assertThat(pubsub.requests()).isEmpty();
  }

  @Test
  void publishesProto3JsonWithFormatJson() throws Exception {
    CliRunner.Result result = publish(PURCHASE + "\n", "--format", "json");

    assertThat(result.exitCode()).isZero();
    PubsubMessage message = pubsub.messages().get(0);
    assertThat(message.getAttributesMap()).containsEntry("content-type", "application/json");
    assertThat(EventJson.parse(message.getData().toByteArray()))
        .isEqualTo(EventJson.parse(PURCHASE));
  }

  @Test
  void readsEventsFromAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("events.ndjson");
    Files.writeString(file, PURCHASE + "\n" + SIGNUP + "\n");

    CliRunner.Result result = publish("", "--file", file.toString());

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("published 2 events to " + TOPIC + "\n");
    assertThat(pubsub.messages()).hasSize(2);
  }

  @Test
  void aMissingFileIsOneLineOnStderr(@TempDir Path dir) {
    Path missing = dir.resolve("missing.ndjson");

    CliRunner.Result result = publish("", "--file", missing.toString());

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(result.err()).isEqualTo("eventflow publish: no such file: " + missing + "\n");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void verboseAddsTheStackTrace(@TempDir Path dir) {
    Path missing = dir.resolve("missing.ndjson");

    CliRunner.Result result = publish("", "--file", missing.toString(), "--verbose");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(result.err())
        .startsWith("eventflow publish: no such file: " + missing + "\n")
        .contains("java.nio.file.NoSuchFileException")
        .contains("\tat ");
  }

  @Test
  void eventsPubSubRefusesAreReportedAsFailedLines() {
    pubsub.failEveryPublish(
        Status.NOT_FOUND.withDescription("Resource not found (resource=events)."));

    CliRunner.Result result = publish(PURCHASE + "\n" + SIGNUP + "\n");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(result.out())
        .isEqualTo(
            "published 0 events to "
                + TOPIC
                + "\nfailed to publish 2 lines:\n"
                + "  lines 1-2: NOT_FOUND: Resource not found (resource=events).\n");
  }

  @Test
  void honoursPubsubEmulatorHostFromTheEnvironment() {
    CliRunner.Result result =
        new CliRunner()
            .env("PUBSUB_EMULATOR_HOST", pubsub.hostAndPort())
            .env("GOOGLE_CLOUD_PROJECT", "demo")
            .stdin(PURCHASE + "\n")
            .run("publish", "--topic", "events");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("published 1 event to " + TOPIC + "\n");
    assertThat(pubsub.messages()).hasSize(1);
  }

  @Test
  void aBareTopicWithoutProjectIsOneLineError() {
    CliRunner.Result result =
        new CliRunner()
            .stdin(PURCHASE + "\n")
            .run("publish", "--topic", "events", "--emulator", pubsub.hostAndPort());

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(result.err())
        .isEqualTo(
            "eventflow publish: no project for topic events: set one, use"
                + " projects/PROJECT/topics/TOPIC, or set GOOGLE_CLOUD_PROJECT\n");
  }

  @Test
  void anUnknownFormatIsAUsageError() {
    CliRunner.Result result = publish(PURCHASE, "--format", "xml");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err())
        .startsWith("Invalid value for option '--format': expected binary or json, got 'xml'")
        .contains("Usage: eventflow publish");
    assertThat(pubsub.requests()).isEmpty();
  }

  @Test
  void aMissingTopicIsAUsageError() {
    CliRunner.Result result = new CliRunner().run("publish");

    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err()).startsWith("Missing required option: '--topic=TOPIC'");
  }

  @Test
  void emptyInputPublishesNothing() {
    CliRunner.Result result = publish("\n  \n");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("published 0 events to " + TOPIC + "\n");
  }
}
