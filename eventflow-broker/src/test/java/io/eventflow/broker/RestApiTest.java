package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.Subscription;
import io.eventflow.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The REST/JSON API over plain HTTP/1.1, on the same port the gRPC clients use: Pub/Sub's paths,
 * the proto3 JSON mapping, and Google's JSON error shape.
 */
class RestApiTest {
  private BrokerFixture pubsub;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void startBroker() throws Exception {
    pubsub = BrokerFixture.start(BrokerConfig.builder().build());
  }

  @AfterEach
  void stopBroker() throws Exception {
    pubsub.close();
  }

  /** A topic made over REST is visible to gRPC clients on the same port, and vice versa. */
  @Test
  void restAndGrpcShareOnePortAndOneState() throws Exception {
    HttpResponse<String> created = send("PUT", "/v1/projects/eventflow-test/topics/shared", "{}");
    assertThat(created.statusCode()).isEqualTo(200);
    assertThat(created.body()).contains("\"name\":\"projects/eventflow-test/topics/shared\"");
    assertThat(pubsub.topics.getTopic(BrokerFixture.topic("shared")).getName())
        .isEqualTo(BrokerFixture.topic("shared"));

    pubsub.subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(BrokerFixture.subscription("shared-sub"))
            .setTopic(BrokerFixture.topic("shared"))
            .build());
    HttpResponse<String> list = send("GET", "/v1/projects/eventflow-test/subscriptions", null);
    assertThat(list.body()).contains("projects/eventflow-test/subscriptions/shared-sub");
  }

  /** Publish, pull and acknowledge with JSON bodies; data travels base64-encoded. */
  @Test
  void publishPullAcknowledgeOverJson() throws Exception {
    pubsub.createTopicAndSubscription("json", Subscription.newBuilder());
    HttpResponse<String> published =
        send(
            "POST",
            "/v1/projects/eventflow-test/topics/json:publish",
            "{\"messages\":[{\"data\":\"aGVsbG8=\",\"attributes\":{\"k\":\"v\"}}]}");
    assertThat(published.statusCode()).isEqualTo(200);
    assertThat(published.body()).isEqualTo("{\"messageIds\":[\"0\"]}");

    HttpResponse<String> pulled =
        send(
            "POST",
            "/v1/projects/eventflow-test/subscriptions/json-sub:pull",
            "{\"maxMessages\":10,\"returnImmediately\":true}");
    assertThat(pulled.body()).contains("\"data\":\"aGVsbG8=\"").contains("\"k\":\"v\"");
    String ackId = pulled.body().replaceAll(".*\"ackId\":\"([^\"]+)\".*", "$1");

    HttpResponse<String> acked =
        send(
            "POST",
            "/v1/projects/eventflow-test/subscriptions/json-sub:acknowledge",
            "{\"ackIds\":[\"" + ackId + "\"]}");
    assertThat(acked.statusCode()).isEqualTo(200);
    assertThat(acked.body()).isEqualTo("{}");
    assertThat(pubsub.pullNow("json-sub", 10).getReceivedMessagesList()).isEmpty();
  }

  /**
   * Snapshots over JSON: created with PUT, listed by project and topic, a seek to one replays what
   * it did not count as acknowledged, and DELETE removes it.
   */
  @Test
  void snapshotsOverJson() throws Exception {
    pubsub.createTopicAndSubscription("snapjson", Subscription.newBuilder());
    send(
        "POST",
        "/v1/projects/eventflow-test/topics/snapjson:publish",
        "{\"messages\":[{\"data\":\"aGVsbG8=\"}]}");
    HttpResponse<String> created =
        send(
            "PUT",
            "/v1/projects/eventflow-test/snapshots/snapjson-snap",
            "{\"subscription\":\"projects/eventflow-test/subscriptions/snapjson-sub\"}");
    assertThat(created.statusCode()).isEqualTo(200);
    assertThat(created.body())
        .contains("\"topic\":\"projects/eventflow-test/topics/snapjson\"")
        .contains("\"expireTime\":");
    assertThat(send("GET", "/v1/projects/eventflow-test/snapshots", null).body())
        .contains("projects/eventflow-test/snapshots/snapjson-snap");
    assertThat(send("GET", "/v1/projects/eventflow-test/topics/snapjson/snapshots", null).body())
        .contains("projects/eventflow-test/snapshots/snapjson-snap");

    var pulled = pubsub.pullNow("snapjson-sub", 10);
    pubsub.subscriptions.acknowledge(
        BrokerFixture.subscription("snapjson-sub"),
        List.of(pulled.getReceivedMessages(0).getAckId()));
    HttpResponse<String> seek =
        send(
            "POST",
            "/v1/projects/eventflow-test/subscriptions/snapjson-sub:seek",
            "{\"snapshot\":\"projects/eventflow-test/snapshots/snapjson-snap\"}");
    assertThat(seek.statusCode()).isEqualTo(200);
    assertThat(pubsub.pullNow("snapjson-sub", 10).getReceivedMessagesCount()).isEqualTo(1);

    assertThat(
            send("DELETE", "/v1/projects/eventflow-test/snapshots/snapjson-snap", null)
                .statusCode())
        .isEqualTo(200);
    assertThat(
            send("GET", "/v1/projects/eventflow-test/snapshots/snapjson-snap", null).statusCode())
        .isEqualTo(404);
  }

  /** Errors carry the HTTP status Google maps each code to, and the JSON error body. */
  @Test
  void errorsUseGoogleJsonErrorShape() throws Exception {
    HttpResponse<String> missing = send("GET", "/v1/projects/eventflow-test/topics/nope", null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body())
        .startsWith("{\"error\":{\"code\":404,\"message\":")
        .endsWith("\"status\":\"NOT_FOUND\"}}");

    send("PUT", "/v1/projects/eventflow-test/topics/twice", "");
    HttpResponse<String> again = send("PUT", "/v1/projects/eventflow-test/topics/twice", "");
    assertThat(again.statusCode()).isEqualTo(409);

    HttpResponse<String> malformed =
        send("POST", "/v1/projects/eventflow-test/topics/twice:publish", "{\"messages\": [");
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(malformed.body()).contains("INVALID_ARGUMENT");

    HttpResponse<String> snapshot =
        send(
            "PUT",
            "/v1/projects/eventflow-test/snapshots/snap",
            "{\"subscription\": \"projects/eventflow-test/subscriptions/missing\"}");
    assertThat(snapshot.statusCode()).isEqualTo(404);
    assertThat(snapshot.body()).contains("NOT_FOUND").contains("subscriptions/missing");

    HttpResponse<String> unknown = send("GET", "/v2/whatever", null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("No Pub/Sub REST method matches GET /v2/whatever");
  }

  /** A Pull over REST that finds nothing waits for a publish and returns it. */
  @Test
  void waitingPullReturnsMessagePublishedWhileWaiting() throws Exception {
    pubsub.createTopicAndSubscription("later", Subscription.newBuilder());
    var pending =
        http.sendAsync(
            request(
                "POST",
                "/v1/projects/eventflow-test/subscriptions/later-sub:pull",
                "{\"maxMessages\":1}"),
            HttpResponse.BodyHandlers.ofString());
    // Publish only once the Pull is waiting in the broker (it would otherwise answer at once and
    // the test would not show the wait), not after a guessed delay.
    SubscriptionState subscription =
        pubsub.broker().engine().requireSubscription(BrokerFixture.subscription("later-sub"));
    Await.until(
        "the Pull started waiting", Duration.ofSeconds(30), () -> subscription.sinkCount() > 0);
    assertThat(pending).isNotDone();
    pubsub.publish(pubsub.publisher("later"), "late", Map.of());
    assertThat(pending.get(30, TimeUnit.SECONDS).body()).contains("\"data\":\"bGF0ZQ==\"");
  }

  /** The broker's meters in Prometheus text format, on the same port. */
  @Test
  void metricsAreServedOnTheSamePort() throws Exception {
    HttpResponse<String> metrics = send("GET", "/metrics", null);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("content-type")).hasValue(BrokerMetrics.contentType());
    assertThat(metrics.body()).contains("# TYPE eventflow_broker_log_pending_bytes gauge");
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest request(String method, String path, String body) {
    // A bound for a broken broker, not a timing assertion: every answer here takes milliseconds,
    // and a waiting Pull at most the broker's 5 s pull wait.
    return HttpRequest.newBuilder(URI.create(pubsub.broker().restRootUrl() + path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .method(
            method,
            body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body))
        .build();
  }
}
