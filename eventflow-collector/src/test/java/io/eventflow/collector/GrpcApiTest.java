package io.eventflow.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.collector.pb.CollectorGrpc;
import io.eventflow.collector.pb.SendRequest;
import io.eventflow.collector.pb.SendResponse;
import io.eventflow.collector.pb.StreamAck;
import io.eventflow.collector.pb.StreamEvent;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.testing.Await;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC API on the collector's one port, through grpc-java's own client. */
class GrpcApiTest {
  @TempDir Path dir;
  private CollectorFixture fixture;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  private static Event event(String id) {
    return Event.newBuilder()
        .setId(id)
        .setType("tap")
        .putAttributes("n", AttributeValues.of(1L))
        .build();
  }

  /** Collects a SendStream's acknowledgements by sequence; {@code done} ends with the stream. */
  private static StreamObserver<StreamAck> collecting(
      Map<Long, StreamAck> acks, CompletableFuture<Void> done) {
    return new StreamObserver<>() {
      @Override
      public void onNext(StreamAck ack) {
        acks.put(ack.getSequence(), ack);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(null);
      }
    };
  }

  /** Send publishes the valid events and names the others with index and reason. */
  @Test
  void sendAcceptsPartiallyAfterPubSubConfirmed() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    channel = fixture.channel();
    SendResponse response =
        CollectorGrpc.newBlockingStub(channel)
            .send(
                SendRequest.newBuilder()
                    .addEvents(event("g-1"))
                    .addEvents(event("g-2").toBuilder().clearType())
                    .addEvents(event("g-3"))
                    .build());
    assertThat(response.getAccepted()).isEqualTo(2);
    assertThat(response.getRejectedList()).hasSize(1);
    assertThat(response.getRejected(0).getIndex()).isEqualTo(1);
    assertThat(response.getRejected(0).getReason()).isEqualTo(InvalidReason.MISSING_TYPE);
    assertThat(fixture.pull(2)).containsOnlyKeys("g-1", "g-3");
  }

  /**
   * SendStream acknowledges every event with its sequence and id (rejections with their reason),
   * more events than its window of 1,000 unacknowledged ones, and ends after the last ack.
   */
  @Test
  void sendStreamAcknowledgesEachEventOnceConfirmed() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    channel = fixture.channel();
    int count = 2_500;
    Map<Long, StreamAck> acks = new ConcurrentHashMap<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<StreamEvent> events =
        CollectorGrpc.newStub(channel).sendStream(collecting(acks, done));
    for (int i = 0; i < count; i++) {
      Event event = i == 7 ? event("s-7").toBuilder().clearAttributes().build() : event("s-" + i);
      events.onNext(StreamEvent.newBuilder().setSequence(i).setEvent(event).build());
    }
    events.onCompleted();
    done.get(60, TimeUnit.SECONDS);

    assertThat(acks).hasSize(count);
    assertThat(acks.get(0L).getId()).isEqualTo("s-0");
    assertThat(acks.get(7L).getId()).isEmpty();
    assertThat(acks.get(7L).getRejection().getReason()).isEqualTo(InvalidReason.NO_ATTRIBUTES);
    assertThat(fixture.pull(count - 1)).hasSize(count - 1).doesNotContainKey("s-7");
  }

  /**
   * While Pub/Sub does not confirm, a SendStream reads no more than its window of 1,000 events. The
   * in-flight bound here holds 1,250 of the stream's events: had the collector read on, the 1,251st
   * would have been refused and the stream ended UNAVAILABLE. Instead the window fills, and once
   * Pub/Sub is back all 1,500 events are acknowledged and the stream ends normally.
   */
  @Test
  void sendStreamReadsAtMostItsWindowWhilePubSubDoesNotConfirm() throws Exception {
    int window = CollectorGrpcService.STREAM_WINDOW;
    int count = 1_500;
    // Sequences of one varint length and ids of one width: every message has the same size.
    long firstSequence = 1_000_000;
    IntFunction<StreamEvent> message =
        i ->
            StreamEvent.newBuilder()
                .setSequence(firstSequence + i)
                .setEvent(event(String.format(Locale.ROOT, "w-%04d", i)))
                .build();
    long size = message.apply(0).getSerializedSize();
    long bound = 1_250 * size;
    fixture =
        CollectorFixture.start(
            dir,
            c ->
                c.sizeLimits((int) size, bound)
                    .maxInFlightBytes(bound)
                    .acceptTimeout(Duration.ofSeconds(60)));
    channel = fixture.channel();
    fixture.broker.stop();
    Map<Long, StreamAck> acks = new ConcurrentHashMap<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<StreamEvent> events =
        CollectorGrpc.newStub(channel).sendStream(collecting(acks, done));
    for (int i = 0; i < count; i++) {
      events.onNext(message.apply(i));
    }
    events.onCompleted();
    Await.until(
        "the window's events wait for Pub/Sub", () -> fixture.inFlightBytes() == window * size);
    assertThat(acks).isEmpty();

    fixture.broker.restart();
    done.get(60, TimeUnit.SECONDS);
    assertThat(acks).hasSize(count);
    assertThat(acks.get(firstSequence + count - 1).getId()).isEqualTo("w-1499");
    assertThat(fixture.pull(count)).hasSize(count);
  }

  /** With Pub/Sub down, Send is UNAVAILABLE after the accept timeout, not OK. */
  @Test
  void sendIsUnavailableWhilePubSubIsDown() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c.acceptTimeout(java.time.Duration.ofSeconds(1)));
    channel = fixture.channel();
    fixture.broker.stop();
    assertThatThrownBy(
            () ->
                CollectorGrpc.newBlockingStub(channel)
                    .send(SendRequest.newBuilder().addEvents(event("down")).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    fixture.broker.restart();
  }

  /** With keys, a call without one is UNAUTHENTICATED; with one, the key's source is used. */
  @Test
  void grpcCallsNeedAnApiKey() throws Exception {
    String key = "grpc-key-0123456789";
    fixture =
        CollectorFixture.withKeys(
            dir, ApiKeys.parse("keys", List.of(ApiKeys.hash(key) + " backend")), c -> c);
    channel = fixture.channel();
    SendRequest request = SendRequest.newBuilder().addEvents(event("k-1")).build();
    assertThatThrownBy(() -> CollectorGrpc.newBlockingStub(channel).send(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
    assertThat(
            CollectorGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .send(request)
                .getAccepted())
        .isEqualTo(1);
    assertThat(CollectorFixture.event(fixture.pull(1).get("k-1")).getSource()).isEqualTo("backend");
    // Health needs no key: load balancers and probes have none.
    assertThat(
            HealthGrpc.newBlockingStub(channel)
                .check(HealthCheckRequest.getDefaultInstance())
                .getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  /** Reflection lists the collector's service, so grpcurl works without the proto file. */
  @Test
  void reflectionListsTheCollectorService() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    channel = fixture.channel();
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse response) {
                    answer.complete(response);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    ServerReflectionResponse response = answer.get(30, TimeUnit.SECONDS);
    requests.onCompleted();
    assertThat(response.getListServicesResponse().getServiceList())
        .extracting(s -> s.getName())
        .contains("eventflow.collector.Collector", "grpc.health.v1.Health");
  }
}
