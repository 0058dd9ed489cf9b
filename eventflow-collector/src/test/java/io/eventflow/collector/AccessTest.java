package io.eventflow.collector;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** API keys, CORS, the per-key rate limit, probes and metrics, against the real broker. */
class AccessTest {
  private static final String KEY = "k3y-0f-the-web-shop";
  private static final String OTHER_KEY = "k3y-0f-the-app";
  private static final String EVENT =
      "{\"id\":\"%s\",\"type\":\"t\",\"source\":\"spoofed\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}";

  @TempDir Path dir;
  private CollectorFixture fixture;

  @AfterEach
  void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static ApiKeys keys() {
    return ApiKeys.parse(
        "test keys",
        List.of(
            "# a comment, then a blank line",
            "",
            ApiKeys.hash(KEY) + " web-shop",
            ApiKeys.hash(OTHER_KEY) + "   mobile-app"));
  }

  /**
   * No key or an unknown one: 401 and nothing published. A known key, in the header or in the query
   * (sendBeacon cannot set headers): its source replaces the event's own.
   */
  @Test
  void theKeyDecidesTheSourceAndUnknownKeysAre401() throws Exception {
    fixture = CollectorFixture.withKeys(dir, keys(), c -> c);
    assertThat(fixture.postJson("/v1/events", EVENT.formatted("none")).statusCode()).isEqualTo(401);
    HttpResponse<String> unknown =
        fixture.postJson("/v1/events", EVENT.formatted("bad"), "Authorization", "Bearer nope");
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.body()).isEqualTo("{\"error\":\"unknown API key\"}");

    assertThat(
            fixture
                .postJson("/v1/events", EVENT.formatted("web"), "Authorization", "Bearer " + KEY)
                .statusCode())
        .isEqualTo(200);
    assertThat(
            fixture
                .postJson("/v1/batch?key=" + OTHER_KEY, "[" + EVENT.formatted("app") + "]")
                .body())
        .isEqualTo("{\"accepted\":1,\"rejected\":[]}");

    var received = fixture.pull(2);
    assertThat(received).containsOnlyKeys("web", "app");
    assertThat(CollectorFixture.event(received.get("web")).getSource()).isEqualTo("web-shop");
    assertThat(CollectorFixture.event(received.get("app")).getSource()).isEqualTo("mobile-app");
    assertThat(received.get("app").getAttributesOrThrow("event.source")).isEqualTo("mobile-app");
  }

  /** A malformed key file is refused naming its line; a file without keys is refused too. */
  @Test
  void malformedKeyFilesAreRefusedNamingTheLine() throws Exception {
    Path file = dir.resolve("keys");
    Files.writeString(file, ApiKeys.hash(KEY) + " web\nnot-a-hash web\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ApiKeys.load(file))
        .hasMessage(
            file
                + " line 2: expected a 64-digit SHA-256 hex hash and a source, got \"not-a-hash web\"");
    Files.writeString(file, "# nothing\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ApiKeys.load(file))
        .hasMessage(file + " holds no API key");
  }

  /**
   * A preflight from a configured origin is answered without a key and may be cached for the
   * configured time; another origin gets no CORS headers; the actual request carries them.
   */
  @Test
  void corsPreflightIsAnsweredAndCached() throws Exception {
    fixture =
        CollectorFixture.withKeys(
            dir,
            keys(),
            c -> c.corsOrigin("https://shop.example").corsMaxAge(java.time.Duration.ofHours(2)));
    HttpResponse<String> preflight =
        fixture.http.send(
            HttpRequest.newBuilder(fixture.uri("/v1/events"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://shop.example")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(preflight.statusCode()).isEqualTo(200);
    assertThat(preflight.headers().firstValue("access-control-allow-origin"))
        .contains("https://shop.example");
    assertThat(preflight.headers().firstValue("access-control-max-age")).contains("7200");
    assertThat(preflight.headers().firstValue("access-control-allow-methods").orElseThrow())
        .contains("POST");
    assertThat(preflight.headers().firstValue("access-control-allow-headers").orElseThrow())
        .containsIgnoringCase("authorization");

    HttpResponse<String> foreign =
        fixture.http.send(
            HttpRequest.newBuilder(fixture.uri("/v1/events"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(foreign.headers().firstValue("access-control-allow-origin")).isEmpty();

    HttpResponse<String> actual =
        fixture.postJson(
            "/v1/events",
            EVENT.formatted("cors"),
            "Origin",
            "https://shop.example",
            "Authorization",
            "Bearer " + KEY);
    assertThat(actual.statusCode()).isEqualTo(200);
    assertThat(actual.headers().firstValue("access-control-allow-origin"))
        .contains("https://shop.example");
  }

  /**
   * Each key has its own bucket of one second's requests: the third request of a key limited to 2/s
   * gets 429 with Retry-After, another key still passes, and half a second later one more request
   * of the first key passes (the clock is the fixture's, moved by hand).
   */
  @Test
  void overTheRatePerKeyIs429() throws Exception {
    fixture = CollectorFixture.withKeys(dir, keys(), c -> c.ratePerKey(2));
    String auth = "Bearer " + KEY;
    assertThat(
            fixture
                .postJson("/v1/events", EVENT.formatted("r1"), "Authorization", auth)
                .statusCode())
        .isEqualTo(200);
    assertThat(
            fixture
                .postJson("/v1/events", EVENT.formatted("r2"), "Authorization", auth)
                .statusCode())
        .isEqualTo(200);
    HttpResponse<String> limited =
        fixture.postJson("/v1/events", EVENT.formatted("r3"), "Authorization", auth);
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).contains("1");
    assertThat(
            fixture
                .postJson(
                    "/v1/events", EVENT.formatted("o1"), "Authorization", "Bearer " + OTHER_KEY)
                .statusCode())
        .isEqualTo(200);

    fixture.clock.advance(Duration.ofMillis(500));
    assertThat(
            fixture
                .postJson("/v1/events", EVENT.formatted("r4"), "Authorization", auth)
                .statusCode())
        .isEqualTo(200);
    assertThat(
            fixture
                .postJson("/v1/events", EVENT.formatted("r5"), "Authorization", auth)
                .statusCode())
        .isEqualTo(429);
    assertThat(fixture.pull(4)).containsOnlyKeys("r1", "r2", "o1", "r4");
  }

  /** Probes and metrics need no key; the metrics show Armeria's per-route request counts too. */
  @Test
  void probesAndMetricsAreOpen() throws Exception {
    fixture = CollectorFixture.withKeys(dir, keys(), c -> c);
    fixture.postJson("/v1/events", EVENT.formatted("m1"), "Authorization", "Bearer " + KEY);
    assertThat(fixture.get("/healthz").body()).isEqualTo("ok\n");
    assertThat(fixture.get("/readyz").statusCode()).isEqualTo(200);
    HttpResponse<String> metrics = fixture.get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("eventflow_collector_events_accepted_total 1.0")
        .contains("eventflow_collector_accept_latency_seconds{quantile=\"0.99\"}")
        .contains("eventflow_collector_http_requests_total");
    assertThat(URI.create(fixture.collector.url()).getHost()).isEqualTo("127.0.0.1");
  }
}
