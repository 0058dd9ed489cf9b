package io.eventflow.collector;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.eventflow.collector.pb.SendResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What became of a request's events: how many Pub/Sub confirmed, and which were not published and
 * why.
 *
 * @param accepted events Pub/Sub confirmed
 * @param ids the confirmed events' ids, in request order
 * @param rejected the events not published, in request order
 */
public record IntakeResult(int accepted, List<String> ids, List<Rejected> rejected) {
  private static final JsonFactory JSON = new JsonFactory();

  /** Copies the lists. */
  public IntakeResult {
    ids = List.copyOf(ids);
    rejected = List.copyOf(rejected);
  }

  /**
   * Returns the HTTP body: {@code {"accepted": N, "rejected": [{"index": i, "reason": "CODE",
   * "detail": "..."}]}}.
   */
  public byte[] toJson() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(32 + 96 * rejected.size());
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeNumberField("accepted", accepted);
      json.writeArrayFieldStart("rejected");
      for (Rejected r : rejected) {
        json.writeStartObject();
        json.writeNumberField("index", r.index());
        json.writeStringField("reason", r.reason().name());
        json.writeStringField("detail", r.detail());
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  /** Returns the gRPC form. */
  public SendResponse toProto() {
    SendResponse.Builder response = SendResponse.newBuilder().setAccepted(accepted);
    rejected.forEach(r -> response.addRejected(r.toProto()));
    return response.build();
  }
}
