package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.Subscription;
import io.eventflow.broker.log.FsyncPolicy;
import io.eventflow.broker.log.LogConfig;
import io.eventflow.broker.log.Repair;
import io.eventflow.broker.log.SegmentedLog;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the broker used to only log, or not even that, is counted at {@code GET /metrics} and, for
 * recovery, listed in {@link Broker#recoveryReport()}: repairs made at start, stored records that
 * do not parse, and log reads that fail while leasing.
 */
class SurfacedFailuresTest {
  private static final String TOPIC = BrokerFixture.topic("tea");

  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();

  private BrokerConfig durable() {
    return BrokerConfig.builder().dataDir(dir).fsync(FsyncPolicy.NEVER).build();
  }

  private Path topicDir() {
    return dir.resolve("topics").resolve(URLEncoder.encode(TOPIC, StandardCharsets.UTF_8));
  }

  private Path onlySegment() throws Exception {
    try (Stream<Path> files = Files.list(topicDir())) {
      return files.filter(p -> p.toString().endsWith(".log")).findFirst().orElseThrow();
    }
  }

  private String metrics(Broker broker) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(broker.metricsUrl()))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue(BrokerMetrics.contentType());
    return response.body();
  }

  /** A torn log tail and an interrupted topic creation are repaired, reported and counted. */
  @Test
  void repairsAtStartAreReportedAndCounted() throws Exception {
    try (BrokerFixture pubsub = BrokerFixture.start(durable())) {
      pubsub.createTopicAndSubscription("tea", Subscription.newBuilder());
      pubsub.publish(pubsub.publisher("tea"), "kept", Map.of());
      assertThat(pubsub.broker().recoveryReport()).isEmpty();
    }
    Path segment = onlySegment();
    try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 9, 1, 2, 3}), channel.size());
    }
    Path ghost = Files.createDirectories(dir.resolve("topics").resolve("ghost"));
    Files.write(ghost.resolve("00000000000000000000.log"), new byte[100]);

    try (BrokerFixture pubsub = BrokerFixture.start(durable())) {
      assertThat(pubsub.broker().recoveryReport())
          .extracting(Repair::kind, Repair::file, Repair::bytesDropped)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple(
                  Repair.Kind.INTERRUPTED_CREATE_OR_DELETE_REMOVED, ghost, 100L),
              org.assertj.core.groups.Tuple.tuple(Repair.Kind.LOG_TAIL_TRUNCATED, segment, 7L));
      assertThat(metrics(pubsub.broker()))
          .contains("eventflow_broker_recovery_repairs_total{kind=\"log_tail_truncated\"} 1.0")
          .contains(
              "eventflow_broker_recovery_bytes_dropped_total{kind=\"log_tail_truncated\"} 7.0")
          .contains(
              "eventflow_broker_recovery_repairs_total"
                  + "{kind=\"interrupted_create_or_delete_removed\"} 1.0");
      assertThat(pubsub.pullNow("tea-sub", 10).getReceivedMessagesList()).hasSize(1);
    }
  }

  /**
   * A stored record that passed its CRC but is not a PubsubMessage is skipped (it could never be
   * delivered), and counted; the messages around it are delivered.
   */
  @Test
  void anUnreadableRecordIsSkippedAndCounted() throws Exception {
    try (BrokerFixture pubsub = BrokerFixture.start(durable())) {
      pubsub.createTopicAndSubscription("tea", Subscription.newBuilder());
      pubsub.publish(pubsub.publisher("tea"), "before", Map.of());
    }
    // Append a record the broker never wrote: valid framing and CRC, a payload that is not a
    // protobuf message (0xFF starts a varint that never ends).
    ExecutorService committer = Executors.newSingleThreadExecutor();
    try (SegmentedLog log =
        SegmentedLog.open(
            topicDir(),
            new LogConfig(LogConfig.DEFAULT_SEGMENT_BYTES, FsyncPolicy.NEVER),
            Clock.systemUTC(),
            committer)) {
      log.append(1, (i, offset, time) -> new byte[] {(byte) 0xFF}).get(30, TimeUnit.SECONDS);
    } finally {
      committer.shutdownNow();
    }

    try (BrokerFixture pubsub = BrokerFixture.start(durable())) {
      pubsub.publish(pubsub.publisher("tea"), "after", Map.of());
      assertThat(pubsub.pullNow("tea-sub", 10).getReceivedMessagesList())
          .extracting(m -> m.getMessage().getData().toStringUtf8())
          .containsExactly("before", "after");
      assertThat(metrics(pubsub.broker()))
          .contains(
              "eventflow_broker_messages_unreadable_total{subscription=\""
                  + BrokerFixture.subscription("tea-sub")
                  + "\"} 1.0");
    }
  }

  /** A record corrupted on disk after it was written fails the read; the failure is counted. */
  @Test
  void aFailedLogReadIsCounted() throws Exception {
    try (BrokerFixture pubsub = BrokerFixture.start(durable())) {
      pubsub.createTopicAndSubscription("tea", Subscription.newBuilder());
      pubsub.publish(pubsub.publisher("tea"), "flipped", Map.of());
      Path segment = onlySegment();
      byte[] bytes = Files.readAllBytes(segment);
      bytes[bytes.length - 1] ^= 0x01; // The last payload byte: the record's CRC no longer holds.
      Files.write(segment, bytes);

      assertThat(pubsub.pullNow("tea-sub", 10).getReceivedMessagesList()).isEmpty();
      assertThat(metrics(pubsub.broker()))
          .contains("eventflow_broker_log_read_errors_total{topic=\"" + TOPIC + "\"} 1.0");
    }
  }

  /** Publishes are counted per topic, and gRPC calls by method, next to the broker's meters. */
  @Test
  void metricsCountPublishesAndGrpcCalls() throws Exception {
    try (BrokerFixture pubsub = BrokerFixture.start(BrokerConfig.builder().build())) {
      pubsub.createTopicAndSubscription("tea", Subscription.newBuilder());
      pubsub.publish(pubsub.publisher("tea"), "one", Map.of());

      assertThat(metrics(pubsub.broker()))
          .contains("eventflow_broker_messages_published_total{topic=\"" + TOPIC + "\"} 1.0")
          .contains("eventflow_broker_log_pending_bytes")
          .contains("method=\"Publish\"");
    }
  }
}
