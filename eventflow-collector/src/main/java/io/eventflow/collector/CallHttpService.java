package io.eventflow.collector;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.eventflow.common.EventJson;
import io.eventflow.common.pb.Event;
import io.grpc.Status;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/call/{type}}: the event in the body (proto3 JSON or binary, its type taken from
 * the path) goes to a processor for the type and its answer comes back as the body, in the
 * request's format, with the processor's name in {@code eventflow-processor}. {@code
 * ?timeout=250ms} (or {@code 2s}) sets the deadline; {@code ?publish=false} only routes.
 *
 * <p>{@code 404} no processor for the type, {@code 504} no answer in time, {@code 503} (with {@code
 * Retry-After}) the processor went away mid-call or Pub/Sub is unavailable, {@code 502} the
 * processor failed, {@code 400} an event ingest would reject.
 */
final class CallHttpService implements HttpService {
  private final Calls calls;
  private final RequestDecoder decoder;
  private final Duration retryAfter;

  CallHttpService(Calls calls, RequestDecoder decoder, Duration retryAfter) {
    this.calls = calls;
    this.decoder = decoder;
    this.retryAfter = retryAfter;
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    return HttpAnswers.post(req, request -> handle(ctx, request));
  }

  private CompletableFuture<HttpResponse> handle(
      ServiceRequestContext ctx, AggregatedHttpRequest request) {
    QueryParams query = QueryParams.fromQueryString(ctx.query() == null ? "" : ctx.query());
    Optional<Duration> timeout;
    try {
      timeout = Optional.ofNullable(query.get("timeout")).map(CallHttpService::duration);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(HttpAnswers.error(400, e.getMessage()));
    }
    boolean publish = !"false".equals(query.get("publish"));
    RequestDecoder.Format format;
    Event event;
    try {
      format = RequestDecoder.Format.of(EventsHttpService.mediaType(request.contentType()));
      if (format == RequestDecoder.Format.NDJSON) {
        format = RequestDecoder.Format.JSON;
      }
      byte[] body = request.content().array();
      event = body.length == 0 ? Event.getDefaultInstance() : decoder.single(format, body).event();
    } catch (RequestDecoder.BadRequestException e) {
      return CompletableFuture.completedFuture(
          HttpAnswers.unreadable(e.status(), e.reason(), e.getMessage()));
    }
    event = event.toBuilder().setType(ctx.pathParam("type")).build();
    RequestDecoder.Format answerFormat = format;
    return calls
        .call(event, timeout, publish, ApiKeyDecorator.source(ctx))
        .handle(
            (answer, error) -> {
              if (error == null) {
                ResponseHeaders headers =
                    ResponseHeaders.builder(HttpStatus.OK)
                        .contentType(
                            answerFormat == RequestDecoder.Format.PROTOBUF
                                ? MediaType.PROTOBUF
                                : MediaType.JSON_UTF_8)
                        .set("eventflow-processor", answer.processor())
                        .build();
                byte[] body =
                    answerFormat == RequestDecoder.Format.PROTOBUF
                        ? answer.response().toByteArray()
                        : EventJson.printBytes(answer.response());
                return HttpResponse.of(headers, com.linecorp.armeria.common.HttpData.wrap(body));
              }
              Status status = Status.fromThrowable(CollectorGrpcService.toStatus(error));
              String message = status.getDescription();
              return switch (status.getCode()) {
                case NOT_FOUND -> HttpAnswers.error(404, message);
                case DEADLINE_EXCEEDED -> HttpAnswers.error(504, message);
                case UNAVAILABLE -> HttpAnswers.retryLater(503, retryAfter, message);
                case INVALID_ARGUMENT -> HttpAnswers.error(400, message);
                default -> HttpAnswers.error(502, message);
              };
            });
  }

  /** Parses {@code 250ms}, {@code 2s} or an ISO-8601 duration ({@code PT0.5S}). */
  static Duration duration(String text) {
    try {
      if (text.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
      }
      if (text.endsWith("s") && !text.startsWith("P")) {
        return Duration.ofMillis(
            Math.round(Double.parseDouble(text.substring(0, text.length() - 1)) * 1000));
      }
      return Duration.parse(text);
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new IllegalArgumentException(
          "timeout must be like 250ms, 2s or PT0.5S, got \"" + text + "\"", e);
    }
  }
}
