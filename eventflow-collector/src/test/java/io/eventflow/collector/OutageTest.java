package io.eventflow.collector;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.testing.Await;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pub/Sub outages against the real broker, stopped and restarted: no 2xx before Pub/Sub confirmed,
 * 503 with Retry-After instead, and every event a client was told to retry arrives once it did.
 */
class OutageTest {
  @TempDir Path dir;
  private CollectorFixture fixture;

  @AfterEach
  void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  /** Returns the status of {@code GET /readyz}. */
  private int readyz() {
    try {
      return fixture.get("/readyz").statusCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String event(String id) {
    return "{\"id\":\"" + id + "\",\"type\":\"t\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}";
  }

  /**
   * With the broker stopped every request gets 503 with Retry-After and /readyz turns 503; once it
   * is back, the client's retries get 200 and every event is on the topic.
   */
  @Test
  void brokerStoppedAnswers503AndNothingIsLostAfterItReturns() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c.acceptTimeout(Duration.ofSeconds(1)));
    assertThat(fixture.postJson("/v1/events", event("before")).statusCode()).isEqualTo(200);
    assertThat(readyz()).isEqualTo(200);

    fixture.broker.stop();
    List<String> ids = List.of("during-1", "during-2", "during-3");
    for (String id : ids) {
      HttpResponse<String> response = fixture.postJson("/v1/events", event(id));
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.headers().firstValue("Retry-After")).contains("1");
      assertThat(response.body()).contains("retry later");
    }
    assertThat(readyz()).isEqualTo(503);
    assertThat(fixture.get("/healthz").statusCode()).isEqualTo(200);

    fixture.broker.restart();
    // The client retries each event until it is accepted, as eventflow.js does.
    for (String id : ids) {
      Await.until(
          id + " is accepted",
          () -> {
            try {
              return fixture.postJson("/v1/events", event(id)).statusCode() == 200;
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    }
    Await.until("/readyz is 200 again", () -> readyz() == 200);
    assertThat(fixture.pull(4)).containsKeys("before", "during-1", "during-2", "during-3");
  }

  /**
   * Requests whose events wait for Pub/Sub hold their bytes until Pub/Sub answered, also after
   * their 503: once the bound is reached, later requests are refused at once.
   */
  @Test
  void inFlightBytesAreBoundedAndRefusedAtOnceBeyond() throws Exception {
    fixture =
        CollectorFixture.start(
            dir,
            c ->
                c.sizeLimits(1_000, 1_000)
                    .maxInFlightBytes(1_000)
                    .acceptTimeout(Duration.ofSeconds(1)));
    fixture.broker.stop();
    String batch = (event("a") + "\n").repeat(10);
    assertThat(batch.length()).isBetween(501, 1_000); // one fits, two do not
    HttpResponse<String> first =
        fixture.post("/v1/batch", "application/x-ndjson", batch.getBytes(UTF_8));
    assertThat(first.statusCode()).isEqualTo(503);
    assertThat(first.body()).contains("did not confirm");
    HttpResponse<String> second =
        fixture.post("/v1/batch", "application/x-ndjson", batch.getBytes(UTF_8));
    assertThat(second.statusCode()).isEqualTo(503);
    assertThat(second.body()).contains("too many events are waiting for Pub/Sub");
    assertThat(fixture.inFlightBytes()).isEqualTo(batch.length());
    fixture.broker.restart();
  }

  /**
   * A graceful stop during an outage waits for the request in flight, which has no answer while
   * Pub/Sub has not confirmed; /readyz turns 503 as the stop begins. Once Pub/Sub is back the
   * request gets its 200 and its event is on the topic, and only then does the stop finish.
   */
  @Test
  void gracefulStopFinishesTheRequestsInFlight() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c.acceptTimeout(Duration.ofSeconds(60)));
    fixture.broker.stop();
    CompletableFuture<HttpResponse<String>> inFlight =
        fixture.http.sendAsync(
            java.net.http.HttpRequest.newBuilder(fixture.uri("/v1/events"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(event("in-flight")))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Await.until("the request waits for Pub/Sub", () -> fixture.inFlightBytes() > 0);
    // Ready still: an outage shows in /readyz only after the accept timeout without progress.
    assertThat(readyz()).isEqualTo(200);
    CompletableFuture<Void> stopped = CompletableFuture.runAsync(fixture.collector::close);
    Await.until("/readyz turns 503 while stopping", () -> readyz() == 503);
    assertThat(inFlight).isNotDone();
    assertThat(stopped).isNotDone();
    fixture.broker.restart();
    assertThat(inFlight.get().statusCode()).isEqualTo(200);
    stopped.get();
    assertThat(fixture.pull(1)).containsOnlyKeys("in-flight");
  }
}
