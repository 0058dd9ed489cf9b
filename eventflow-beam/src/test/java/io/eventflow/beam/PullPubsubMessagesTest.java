package io.eventflow.beam;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.beam.PullPubsubMessages.PullCheckpoint;
import io.eventflow.beam.PullPubsubMessages.PullReader;
import io.eventflow.beam.PullPubsubMessages.PullSource;
import io.eventflow.broker.BeamBrokerFixture;
import io.eventflow.broker.Broker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.OutgoingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.SubscriptionPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.TopicPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The batched reader against eventflow-broker over the wire: batches, timestamps, acks. */
class PullPubsubMessagesTest {
  static final TopicPath TOPIC = BeamBrokerFixture.topic("events-in");

  private BeamBrokerFixture test;
  private Broker broker;
  private PubsubClient client;
  private SubscriptionPath subscription;

  @BeforeEach
  void startBroker() throws Exception {
    test = BeamBrokerFixture.start();
    broker = test.broker();
    client = test.client();
    subscription = test.topicWithSubscription("events-in");
  }

  @AfterEach
  void stopBroker() throws Exception {
    test.close();
  }

  private PullReader reader(String timestampAttribute) throws IOException {
    return source(timestampAttribute).createReader(PipelineOptionsFactory.create(), null);
  }

  private PullSource source(String timestampAttribute) {
    return new PullSource(
        subscription.getPath(),
        PubsubEndpoint.fromRootUrl(broker.restRootUrl()),
        timestampAttribute);
  }

  private void publish(int count, Map<String, String> attributes) throws Exception {
    List<OutgoingMessage> messages = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      messages.add(
          OutgoingMessage.of(
              new PubsubMessage(("m" + i).getBytes(StandardCharsets.UTF_8), attributes),
              0,
              null,
              null));
    }
    for (int from = 0; from < count; from += 500) {
      client.publish(TOPIC, messages.subList(from, Math.min(count, from + 500)));
    }
  }

  /** Reads until the reader has a batch: a guard against a hang, not a timing check. */
  private static boolean awaitBatch(PullReader reader, boolean start) throws IOException {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    boolean available = start ? reader.start() : reader.advance();
    while (!available && System.nanoTime() < deadline) {
      available = reader.advance();
    }
    return available;
  }

  /**
   * 2,500 messages come in three pulls of at most 1,000; a pull that takes the rest ends the bundle
   * (the next read returns nothing); nothing is acknowledged until the checkpoint covering the
   * batches is finalized, and then all of them are.
   */
  @Test
  void pullsBatchesAndAcknowledgesWhenTheCheckpointIsFinalized() throws Exception {
    publish(2_500, Map.of("k", "v"));
    PullReader reader = reader(null);

    List<PubsubMessage> read = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    boolean available = awaitBatch(reader, true);
    while (available) {
      sizes.add(reader.getCurrent().size());
      reader.getCurrent().forEach(m -> read.add(m.getValue()));
      available = read.size() < 2_500 ? awaitBatch(reader, false) : reader.advance();
    }

    assertThat(sizes).containsExactly(1_000, 1_000, 500);
    assertThat(read)
        .extracting(m -> new String(m.getPayload(), StandardCharsets.UTF_8))
        .doesNotHaveDuplicates()
        .hasSize(2_500)
        .contains("m0", "m2499");
    assertThat(read.get(0).getAttributeMap()).containsEntry("k", "v");
    assertThat(read.get(0).getMessageId()).isNotBlank();

    PullCheckpoint checkpoint = reader.getCheckpointMark();
    assertThat(checkpoint.ackIds()).hasSize(2_500);
    assertThat(broker.unacknowledged(subscription.getPath())).isEqualTo(2_500);
    checkpoint.finalizeCheckpoint();
    assertThat(broker.unacknowledged(subscription.getPath())).isZero();
    // A later checkpoint covers only what was read since.
    assertThat(reader.getCheckpointMark().ackIds()).isEmpty();
  }

  /**
   * A reader resumed from a checkpoint acknowledges what that checkpoint names before it reads: a
   * runner resumes only from a committed checkpoint, and after a crash between the commit and the
   * acknowledgement those messages would otherwise be processed a second time. The resumed reader
   * then reads only what the checkpoint did not cover.
   */
  @Test
  void aReaderResumedFromACheckpointAcknowledgesItFirst() throws Exception {
    publish(300, Map.of());
    PullReader crashed = reader(null);
    assertThat(awaitBatch(crashed, true)).isTrue();
    assertThat(crashed.getCurrent()).hasSize(300);
    PullCheckpoint committed = crashed.getCheckpointMark();
    // The process dies here: the checkpoint was committed, its finalization never ran.
    publish(5, Map.of());

    // Restored with the checkpoint, the source still names the endpoint of the run that wrote it;
    // the running job's options name the endpoint to use (here the same broker).
    PubsubOptions running = PipelineOptionsFactory.create().as(PubsubOptions.class);
    running.setPubsubRootUrl(broker.restRootUrl());
    PullSource stale =
        new PullSource(
            subscription.getPath(), PubsubEndpoint.fromRootUrl("http://127.0.0.1:1"), null);
    PullReader resumed = stale.createReader(running, committed);

    assertThat(broker.unacknowledged(subscription.getPath())).isEqualTo(5);
    assertThat(awaitBatch(resumed, true)).isTrue();
    assertThat(resumed.getCurrent())
        .extracting(m -> new String(m.getValue().getPayload(), StandardCharsets.UTF_8))
        .containsExactlyInAnyOrder("m0", "m1", "m2", "m3", "m4");
  }

  /**
   * The timestamp attribute wins when it holds milliseconds or RFC 3339; otherwise the publish
   * time. A batch is stamped with its oldest message, and the watermark follows.
   */
  @Test
  void timestampsComeFromTheAttributeOrThePublishTime() throws Exception {
    publish(1, Map.of("ts", "1700000000123"));
    publish(1, Map.of("ts", "2023-11-14T22:13:21.456Z"));
    Instant before = Instant.now().minus(1_000);
    publish(1, Map.of("ts", "not a time"));
    publish(1, Map.of());

    PullReader reader = reader("ts");
    assertThat(awaitBatch(reader, true)).isTrue();
    Map<Long, Integer> byMillis = new HashMap<>();
    for (TimestampedValue<PubsubMessage> m : reader.getCurrent()) {
      byMillis.merge(m.getTimestamp().getMillis(), 1, Integer::sum);
    }
    assertThat(byMillis).containsKeys(1_700_000_000_123L, 1_700_000_001_456L);
    // "not a time" and no attribute: both at their publish time.
    assertThat(
            byMillis.entrySet().stream()
                .filter(e -> e.getKey() >= before.getMillis())
                .mapToInt(Map.Entry::getValue)
                .sum())
        .isEqualTo(2);
    assertThat(byMillis.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(4);
    assertThat(reader.getCurrentTimestamp()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
    assertThat(reader.getWatermark()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
  }

  /**
   * An empty subscription: reads return nothing at once while the pull waits at the broker, and
   * once it has waited a while the watermark moves up to about now.
   */
  @Test
  void anIdleSubscriptionMovesTheWatermarkToNow() throws Exception {
    Instant before = Instant.now();
    PullReader reader = reader(null);

    assertThat(reader.start()).isFalse();
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    while (reader.getWatermark().isBefore(before.minus(PullPubsubMessages.IDLE_WATERMARK_LAG))
        && System.nanoTime() < deadline) {
      assertThat(reader.advance()).isFalse();
    }
    assertThat(reader.getWatermark())
        .isBetween(before.minus(PullPubsubMessages.IDLE_WATERMARK_LAG), Instant.now());
    reader.close();
  }

  /** A message published while the reader's pull waits at the broker is read by that pull. */
  @Test
  void aWaitingPullDeliversWhatIsPublishedLater() throws Exception {
    PullReader reader = reader(null);
    assertThat(reader.start()).isFalse();

    publish(3, Map.of());

    assertThat(awaitBatch(reader, false)).isTrue();
    assertThat(reader.getCurrent())
        .extracting(m -> new String(m.getValue().getPayload(), StandardCharsets.UTF_8))
        .containsExactlyInAnyOrder("m0", "m1", "m2");
    reader.close();
  }

  @Test
  void rootUrlsNameTheGrpcEndpoint() {
    assertThat(PubsubEndpoint.fromRootUrl("http://127.0.0.1:8085"))
        .isEqualTo(new PubsubEndpoint("127.0.0.1:8085", true));
    assertThat(PubsubEndpoint.fromRootUrl("https://pubsub.googleapis.com"))
        .isEqualTo(new PubsubEndpoint("pubsub.googleapis.com:443", false));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> PubsubEndpoint.fromRootUrl("ftp://host"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--pubsubRootUrl");
  }
}
