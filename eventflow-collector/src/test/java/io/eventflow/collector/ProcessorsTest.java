package io.eventflow.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.util.Durations;
import io.eventflow.collector.pb.CallRequest;
import io.eventflow.collector.pb.CallResponse;
import io.eventflow.collector.pb.CollectorGrpc;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import io.eventflow.testing.Await;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request/response through processors connected with the {@link Processor} library: routing,
 * round-robin, deadlines, a processor leaving mid-call, no processor, over gRPC and HTTP.
 */
class ProcessorsTest {
  @TempDir Path dir;
  private CollectorFixture fixture;
  private ManagedChannel channel;
  private final List<Processor> processors = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    processors.forEach(Processor::close);
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  private Processor connect(Processor.Builder builder) throws InterruptedException {
    Processor processor = builder.connect(fixture.hostAndPort());
    processors.add(processor);
    assertThat(processor.awaitRegistered(Duration.ofSeconds(30))).isTrue();
    return processor;
  }

  /** Answers with an event naming who answered and what it was asked. */
  private static Processor.Handler signedBy(String name) {
    return event ->
        Event.newBuilder()
            .setType(event.getType() + ".answer")
            .putAttributes("by", AttributeValues.of(name))
            .putAttributes("asked", AttributeValues.of(event.getId()))
            .build();
  }

  private static Event event(String type, String id) {
    return Event.newBuilder()
        .setId(id)
        .setType(type)
        .putAttributes("n", AttributeValues.of(1L))
        .build();
  }

  private CallResponse call(Event event, Duration timeout) {
    return CollectorGrpc.newBlockingStub(channel)
        .call(
            CallRequest.newBuilder()
                .setEvent(event)
                .setTimeout(Durations.fromMillis(timeout.toMillis()))
                .build());
  }

  /**
   * Two instances for a type take turns; a processor for another type never sees it; the caller
   * gets the processor's answer and the event is also on the events topic.
   */
  @Test
  void callsGoRoundRobinToTheProcessorsOfTheirType() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    channel = fixture.channel();
    connect(Processor.builder("a").on("quote", signedBy("a")));
    connect(Processor.builder("b").on("quote", signedBy("b")));
    connect(Processor.builder("other").on("refund", signedBy("other")));

    List<String> answeredBy = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      CallResponse response = call(event("quote", "q-" + i), Duration.ofSeconds(10));
      assertThat(response.getResponse().getAttributesOrThrow("asked"))
          .isEqualTo(AttributeValues.of("q-" + i));
      assertThat(response.getResponse().getAttributesOrThrow("by"))
          .isEqualTo(AttributeValues.of(response.getProcessor()));
      answeredBy.add(response.getProcessor());
    }
    assertThat(answeredBy).containsExactly("a", "b", "a", "b");
    assertThat(fixture.pull(4)).containsOnlyKeys("q-0", "q-1", "q-2", "q-3");
    assertThat(fixture.metric("eventflow.collector.processors")).isEqualTo(3.0);
  }

  /**
   * A processor's Connect stream is one long request: its answers may add up to more than the
   * request limit (here 20 KB), as only each message is bounded. 200 answers of about 500 bytes
   * reach their callers over the one stream, which would have been cut at the limit.
   */
  @Test
  void aProcessorsStreamCarriesMoreThanTheRequestLimitInAll() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c.sizeLimits(5_000, 20_000));
    channel = fixture.channel();
    String padding = "x".repeat(500);
    connect(
        Processor.builder("verbose")
            .on(
                "quote",
                event ->
                    event.toBuilder()
                        .putAttributes("padding", AttributeValues.of(padding))
                        .build()));
    for (int i = 0; i < 200; i++) {
      CallResponse response =
          CollectorGrpc.newBlockingStub(channel)
              .call(
                  CallRequest.newBuilder()
                      .setEvent(event("quote", "big-" + i))
                      .setTimeout(Durations.fromSeconds(10))
                      .setSkipPublish(true)
                      .build());
      assertThat(response.getResponse().getId()).isEqualTo("big-" + i);
    }
  }

  /**
   * No processor for the type: NOT_FOUND at once, and 404 over HTTP; neither event is published
   * (nothing happened, so the caller may retry), while a call that reaches a processor is.
   */
  @Test
  void noProcessorIsNotFoundAndPublishesNothing() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    channel = fixture.channel();
    connect(Processor.builder("other").on("refund", signedBy("other")));
    assertThatThrownBy(() -> call(event("quote", "nf-1"), Duration.ofSeconds(10)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription()).contains("event type quote");
            });
    HttpResponse<String> http =
        fixture.postJson(
            "/v1/call/quote", "{\"id\":\"nf-2\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}");
    assertThat(http.statusCode()).isEqualTo(404);
    call(event("refund", "found-1"), Duration.ofSeconds(10));
    // Published in this order, so nf-1 or nf-2 would have arrived first.
    assertThat(fixture.pull(1)).containsOnlyKeys("found-1");
  }

  /**
   * A processor slower than the deadline: DEADLINE_EXCEEDED (504 over HTTP), also for a call that
   * sets no deadline and so gets the default of 1 s; its answers, when they finally come, are
   * dropped and counted.
   */
  @Test
  void answersAfterTheDeadlineAreDroppedAndCounted() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    channel = fixture.channel();
    CountDownLatch release = new CountDownLatch(1);
    connect(
        Processor.builder("slow")
            .on(
                "quote",
                event -> {
                  release.await();
                  return event;
                }));
    assertThatThrownBy(() -> call(event("quote", "late-1"), Duration.ofMillis(200)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    HttpResponse<String> http =
        fixture.postJson(
            "/v1/call/quote?timeout=200ms",
            "{\"id\":\"late-2\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}");
    assertThat(http.statusCode()).isEqualTo(504);
    CallRequest noDeadline = CallRequest.newBuilder().setEvent(event("quote", "late-3")).build();
    assertThatThrownBy(() -> CollectorGrpc.newBlockingStub(channel).call(noDeadline))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("processor slow did not answer within PT1S");
            });
    release.countDown();
    Await.until(
        "the three late answers are counted",
        () -> fixture.metric("eventflow.collector.late.responses") == 3.0);
  }

  /**
   * A processor that disconnects while it holds calls fails them at once, well before their 60 s
   * deadline: UNAVAILABLE over gRPC, 503 with Retry-After over HTTP; the next call goes to the
   * instance still connected.
   */
  @Test
  void aProcessorLeavingMidCallFailsItsCallsFast() throws Exception {
    fixture =
        CollectorFixture.start(
            dir, c -> c.callTimeouts(Duration.ofSeconds(1), Duration.ofMinutes(2)));
    channel = fixture.channel();
    CountDownLatch holding = new CountDownLatch(2);
    Processor leaving =
        connect(
            Processor.builder("leaving")
                .on(
                    "quote",
                    event -> {
                      holding.countDown();
                      new CountDownLatch(1).await(); // never answers
                      return event;
                    }));
    var pending =
        CollectorGrpc.newFutureStub(channel)
            .call(
                CallRequest.newBuilder()
                    .setEvent(event("quote", "dc-1"))
                    .setTimeout(Durations.fromSeconds(60))
                    .build());
    CompletableFuture<HttpResponse<String>> pendingHttp =
        fixture.http.sendAsync(
            java.net.http.HttpRequest.newBuilder(fixture.uri("/v1/call/quote?timeout=60s"))
                .header("Content-Type", "application/json")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"id\":\"dc-2\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
    connect(Processor.builder("staying").on("quote", signedBy("staying")));
    leaving.close();
    assertThatThrownBy(() -> pending.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(StatusRuntimeException.class)
        .satisfies(
            e ->
                assertThat(Status.fromThrowable(e.getCause()).getCode())
                    .isEqualTo(Status.Code.UNAVAILABLE));
    HttpResponse<String> http = pendingHttp.get(30, TimeUnit.SECONDS);
    assertThat(http.statusCode()).isEqualTo(503);
    assertThat(http.headers().firstValue("Retry-After")).contains("1");
    assertThat(http.body()).contains("processor leaving disconnected mid-call");
    assertThat(call(event("quote", "dc-3"), Duration.ofSeconds(10)).getProcessor())
        .isEqualTo("staying");
  }

  /**
   * Over HTTP: the answer comes back as proto3 JSON with the processor's name; a processor for
   * every type answers any; publish=false only routes; a handler's exception is 502.
   */
  @Test
  void httpCallsGetTheAnswerAsJson() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    connect(
        Processor.builder("echo")
            .on(
                "fail",
                event -> {
                  throw new IllegalStateException("cannot price this");
                })
            .onAny(signedBy("echo")));
    HttpResponse<String> response =
        fixture.postJson(
            "/v1/call/quote", "{\"id\":\"h-1\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("eventflow-processor")).contains("echo");
    assertThat(response.body())
        .contains("\"type\":\"quote.answer\"")
        .contains("\"asked\":{\"stringValue\":\"h-1\"}");
    HttpResponse<String> routedOnly =
        fixture.postJson(
            "/v1/call/anything?publish=false",
            "{\"id\":\"h-2\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}");
    assertThat(routedOnly.statusCode()).isEqualTo(200);
    HttpResponse<String> failed =
        fixture.postJson(
            "/v1/call/fail", "{\"id\":\"h-3\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}");
    assertThat(failed.statusCode()).isEqualTo(502);
    assertThat(failed.body()).contains("processor echo failed: cannot price this");
    assertThat(fixture.postJson("/v1/call/quote?timeout=soon", "{}").statusCode()).isEqualTo(400);
    // h-3 is published too (the processor failed, not Pub/Sub); h-2 was only routed.
    assertThat(fixture.pull(2)).containsOnlyKeys("h-1", "h-3");
  }
}
