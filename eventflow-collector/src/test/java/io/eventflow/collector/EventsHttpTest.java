package io.eventflow.collector;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.collector.pb.SendRequest;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP event API against a real eventflow-broker: formats, partial acceptance, limits. */
class EventsHttpTest {
  @TempDir Path dir;
  private CollectorFixture fixture;

  @AfterEach
  void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  /** An event without id, timestamp or source gets all three, as the publisher fills them. */
  @Test
  void oneJsonEventIsPublishedWithIdTimestampAndSourceFilledIn() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    HttpResponse<String> response =
        fixture.postJson(
            "/v1/events", "{\"type\":\"click\",\"attributes\":{\"x\":{\"intValue\":\"3\"}}}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"accepted\":1,\"rejected\":[]}");
    PubsubMessage message = fixture.pull(1).values().iterator().next();
    Event event = CollectorFixture.event(message);
    assertThat(event.getType()).isEqualTo("click");
    assertThat(event.getSource()).isEqualTo(CollectorConfig.DEFAULT_SOURCE);
    assertThat(event.getId())
        .matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    assertThat(event.hasTimestamp()).isTrue();
    assertThat(event.getAttributesOrThrow("x")).isEqualTo(AttributeValues.of(3L));
    assertThat(message.getAttributesOrThrow("event.type")).isEqualTo("click");
  }

  /**
   * A batch with a valid event, one ingest would reject, one element that is no object and one that
   * is no event: only the valid one is published, the others come back with index and reason.
   */
  @Test
  void batchIsAcceptedPartiallyWithReasonsPerIndex() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    String batch =
        "[{\"id\":\"ok-1\",\"type\":\"view\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}},"
            + " {\"id\":\"no-type\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}},"
            + " 42,"
            + " {\"type\":\"view\",\"attributes\":{\"n\":{\"nope\":1}}}]";
    HttpResponse<String> response = fixture.postJson("/v1/batch", batch);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body())
        .startsWith("{\"accepted\":1,\"rejected\":[")
        .contains("{\"index\":1,\"reason\":\"MISSING_TYPE\"")
        .contains(
            "{\"index\":2,\"reason\":\"MALFORMED_JSON\",\"detail\":\"element is no JSON object\"}")
        .contains("{\"index\":3,\"reason\":\"MALFORMED_JSON\"")
        // in request order, though the invalid event is found after the unreadable elements
        .containsSubsequence("\"index\":1,", "\"index\":2,", "\"index\":3,");
    assertThat(fixture.pull(1)).containsOnlyKeys("ok-1");
    assertThat(fixture.collector.registry().scrape())
        .contains("eventflow_collector_events_accepted_total 1.0")
        .contains("eventflow_collector_events_rejected_total{reason=\"MISSING_TYPE\"} 1.0")
        .contains("eventflow_collector_events_rejected_total{reason=\"MALFORMED_JSON\"} 2.0");
  }

  /**
   * The other formats: NDJSON (blank lines skipped), text/plain as sendBeacon sends it, a binary
   * event and a binary SendRequest.
   */
  @Test
  void ndjsonTextPlainAndProtobufBodiesAreRead() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    String ndjson =
        "{\"id\":\"nd-1\",\"type\":\"a\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}\n\n"
            + "{\"id\":\"nd-2\",\"type\":\"a\",\"attributes\":{\"n\":{\"intValue\":\"2\"}}}\r\n";
    assertThat(fixture.post("/v1/batch", "application/x-ndjson", ndjson.getBytes(UTF_8)).body())
        .isEqualTo("{\"accepted\":2,\"rejected\":[]}");
    String beacon =
        "[{\"id\":\"tp-1\",\"type\":\"a\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}]";
    assertThat(fixture.post("/v1/batch", "text/plain;charset=UTF-8", beacon.getBytes(UTF_8)).body())
        .isEqualTo("{\"accepted\":1,\"rejected\":[]}");
    Event binary =
        Event.newBuilder()
            .setId("pb-1")
            .setType("a")
            .putAttributes("n", AttributeValues.of(1L))
            .build();
    assertThat(
            fixture.post("/v1/events", "application/x-protobuf", binary.toByteArray()).statusCode())
        .isEqualTo(200);
    SendRequest batch =
        SendRequest.newBuilder()
            .addEvents(binary.toBuilder().setId("pb-2"))
            .addEvents(binary.toBuilder().setId("pb-3"))
            .build();
    assertThat(fixture.post("/v1/batch", "application/x-protobuf", batch.toByteArray()).body())
        .isEqualTo("{\"accepted\":2,\"rejected\":[]}");

    Map<String, PubsubMessage> received = fixture.pull(6);
    assertThat(received).containsOnlyKeys("nd-1", "nd-2", "tp-1", "pb-1", "pb-2", "pb-3");
  }

  /** Bodies that are no event or batch at all: 400; a content type it cannot read: 415. */
  @Test
  void unreadableBodiesAre400AndUnknownTypes415() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c);
    HttpResponse<String> json = fixture.postJson("/v1/events", "{\"type\":");
    assertThat(json.statusCode()).isEqualTo(400);
    assertThat(json.body()).contains("\"reason\":\"MALFORMED_JSON\"");
    HttpResponse<String> array = fixture.postJson("/v1/batch", "[{\"type\":\"a\"},");
    assertThat(array.statusCode()).isEqualTo(400);
    HttpResponse<String> proto =
        fixture.post("/v1/events", "application/x-protobuf", new byte[] {(byte) 0xff, 1, 2});
    assertThat(proto.statusCode()).isEqualTo(400);
    assertThat(proto.body()).contains("\"reason\":\"MALFORMED_PROTOBUF\"");
    HttpResponse<String> xml =
        fixture.post("/v1/events", "application/xml", "<a/>".getBytes(UTF_8));
    assertThat(xml.statusCode()).isEqualTo(415);
    assertThat(xml.body()).contains("\"reason\":\"UNSUPPORTED_CONTENT_TYPE\"");
    assertThat(fixture.get("/v1/events").statusCode()).isEqualTo(405);
  }

  /** Over the per-event limit (alone or in a batch) or the per-request limit: 413. */
  @Test
  void oversizeEventsAndRequestsAre413() throws Exception {
    fixture = CollectorFixture.start(dir, c -> c.sizeLimits(200, 1_000).maxInFlightBytes(10_000));
    String big =
        "{\"type\":\"a\",\"attributes\":{\"s\":{\"stringValue\":\"" + "x".repeat(300) + "\"}}}";
    HttpResponse<String> single = fixture.postJson("/v1/events", big);
    assertThat(single.statusCode()).isEqualTo(413);
    assertThat(single.body()).contains("PAYLOAD_TOO_LARGE").contains("more than the limit of 200");
    HttpResponse<String> inBatch =
        fixture.postJson("/v1/batch", "[{\"type\":\"a\",\"attributes\":{}}, " + big + "]");
    assertThat(inBatch.statusCode()).isEqualTo(413);
    assertThat(inBatch.body()).contains("event 1 is");
    String small = "{\"type\":\"a\",\"attributes\":{\"n\":{\"intValue\":\"1\"}}}\n";
    HttpResponse<String> request =
        fixture.post("/v1/batch", "application/x-ndjson", small.repeat(30).getBytes(UTF_8));
    assertThat(request.statusCode()).isEqualTo(413);
  }
}
