package io.eventflow.collector;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import io.eventflow.common.pb.InvalidReason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** The collector's HTTP answers other than a result: errors as small JSON documents. */
final class HttpAnswers {
  private static final JsonFactory JSON = new JsonFactory();

  private HttpAnswers() {}

  /**
   * Serves a POST route: anything else is 405; the body is read whole (Armeria bounds it by the
   * request size limit, 413 beyond) and handed to {@code handler}, whose future is the answer.
   */
  static HttpResponse post(
      HttpRequest req, Function<AggregatedHttpRequest, CompletableFuture<HttpResponse>> handler) {
    if (req.method() != HttpMethod.POST) {
      return error(405, "use POST");
    }
    return HttpResponse.of(req.aggregate().thenCompose(handler));
  }

  /** Returns {@code {"error": message}} with the status. */
  static HttpResponse error(int status, String message) {
    return HttpResponse.of(HttpStatus.valueOf(status), MediaType.JSON_UTF_8, json(message));
  }

  /**
   * Returns a body-level fault ({@code 400}, {@code 413}, {@code 415}) in the result's shape, so a
   * client reads one format: {@code {"accepted":0,"rejected":[{"index":0,"reason":...}]}}.
   */
  static HttpResponse unreadable(int status, InvalidReason reason, String detail) {
    return HttpResponse.of(
        HttpStatus.valueOf(status),
        MediaType.JSON_UTF_8,
        new IntakeResult(0, java.util.List.of(), java.util.List.of(new Rejected(0, reason, detail)))
            .toJson());
  }

  /** Returns {@code 503} or {@code 429} with {@code Retry-After} and the message. */
  static HttpResponse retryLater(int status, Duration retryAfter, String message) {
    return HttpResponse.of(
        ResponseHeaders.builder(HttpStatus.valueOf(status))
            .contentType(MediaType.JSON_UTF_8)
            .set(HttpHeaderNames.RETRY_AFTER, Long.toString(retryAfter.toSeconds()))
            .build(),
        com.linecorp.armeria.common.HttpData.wrap(json(message)));
  }

  private static byte[] json(String error) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("error", error);
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
