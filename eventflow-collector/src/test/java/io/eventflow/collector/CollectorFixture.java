package io.eventflow.collector;

import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.broker.BrokerFixture;
import io.eventflow.common.pb.Event;
import io.eventflow.testing.ManualClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A collector publishing to a real, durable eventflow-broker on free loopback ports, with the
 * events topic and a subscription to it, a JDK HTTP client, and a manual clock for the rate limits.
 * The broker can be stopped and restarted to play a Pub/Sub outage.
 */
final class CollectorFixture implements AutoCloseable {
  static final String PROJECT = BrokerFixture.PROJECT_ID;

  final BrokerFixture broker;
  final String subscription;
  final CollectorServer collector;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** The rate limiter's clock (read as a nanosecond ticker): tests move it by hand. */
  final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

  private CollectorFixture(Path dir, ApiKeys keys, UnaryOperator<CollectorConfig.Builder> settings)
      throws IOException {
    broker = BrokerFixture.startDurable(dir);
    subscription = broker.createTopicAndSubscription("events", "");
    CollectorConfig config =
        settings
            .apply(
                CollectorConfig.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .project(PROJECT)
                    .emulatorHost(broker.hostAndPort()))
            .build();
    PubSubEventSink sink = PubSubEventSink.create(config, Clock.systemUTC());
    collector = CollectorServer.start(config, sink, keys, clock::nanoTime);
  }

  /** Starts an open collector (no API keys) with the given settings. */
  static CollectorFixture start(Path dir, UnaryOperator<CollectorConfig.Builder> settings)
      throws IOException {
    return new CollectorFixture(dir, null, settings);
  }

  /** Starts a collector requiring the given keys. */
  static CollectorFixture withKeys(
      Path dir, ApiKeys keys, UnaryOperator<CollectorConfig.Builder> settings) throws IOException {
    return new CollectorFixture(dir, keys, settings);
  }

  URI uri(String path) {
    return URI.create(collector.url() + path);
  }

  /** POSTs a body with a content type and optional extra headers (name, value, ...). */
  HttpResponse<String> post(String path, String contentType, byte[] body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** POSTs JSON text. */
  HttpResponse<String> postJson(String path, String json, String... headers)
      throws IOException, InterruptedException {
    return post(
        path, "application/json", json.getBytes(java.nio.charset.StandardCharsets.UTF_8), headers);
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Returns {@code 127.0.0.1:port}, what gRPC clients and processors connect to. */
  String hostAndPort() {
    return "127.0.0.1:" + collector.port();
  }

  /** Opens a plaintext gRPC channel to the collector; the caller shuts it down. */
  io.grpc.ManagedChannel channel() {
    return io.grpc.ManagedChannelBuilder.forTarget(hostAndPort()).usePlaintext().build();
  }

  /** Returns a counter's or gauge's value from the collector's registry. */
  double metric(String name) {
    var meter = collector.registry().find(name);
    return meter.counter() != null ? meter.counter().count() : meter.gauge().value();
  }

  /** Returns the request bytes awaiting Pub/Sub, from the collector's gauge. */
  long inFlightBytes() {
    return (long) collector.registry().get("eventflow.collector.in.flight.bytes").gauge().value();
  }

  /** Pulls until {@code count} distinct events arrived (30 s bound), by event id. */
  Map<String, PubsubMessage> pull(int count) throws InterruptedException {
    return broker.pull(subscription, count);
  }

  static Event event(PubsubMessage message) {
    try {
      return Event.parseFrom(message.getData());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("not a binary event: " + message, e);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      collector.close();
    } finally {
      broker.close();
    }
  }
}
