package io.eventflow.collector;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code POST /v1/events} (one event) and {@code POST /v1/batch} (many): reads the body ({@link
 * RequestDecoder}), hands the events to {@link Intake} and answers {@code 200 {"accepted": N,
 * "rejected": [...]}} once Pub/Sub confirmed every accepted event; {@code 400}, {@code 413} or
 * {@code 415} for a body it cannot read, {@code 503} with {@code Retry-After} when Pub/Sub cannot
 * take the events now.
 */
final class EventsHttpService implements HttpService {
  private final Intake intake;
  private final RequestDecoder decoder;
  private final boolean batch;
  private final Duration retryAfter;

  EventsHttpService(Intake intake, RequestDecoder decoder, boolean batch, Duration retryAfter) {
    this.intake = intake;
    this.decoder = decoder;
    this.batch = batch;
    this.retryAfter = retryAfter;
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    return HttpAnswers.post(req, request -> handle(ctx, request));
  }

  private CompletableFuture<HttpResponse> handle(
      ServiceRequestContext ctx, AggregatedHttpRequest request) {
    List<Decoded> decoded;
    byte[] body = request.content().array();
    try {
      RequestDecoder.Format format = RequestDecoder.Format.of(mediaType(request.contentType()));
      decoded = batch ? decoder.batch(format, body) : List.of(decoder.single(format, body));
    } catch (RequestDecoder.BadRequestException e) {
      return CompletableFuture.completedFuture(
          HttpAnswers.unreadable(e.status(), e.reason(), e.getMessage()));
    }
    return intake
        .accept(decoded, body.length, ApiKeyDecorator.source(ctx))
        .handle(
            (result, error) -> {
              if (error == null) {
                return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, result.toJson());
              }
              Throwable cause = error instanceof CompletionException ? error.getCause() : error;
              if (cause instanceof SinkUnavailableException) {
                return HttpAnswers.retryLater(503, retryAfter, cause.getMessage());
              }
              throw new CompletionException(cause);
            });
  }

  static String mediaType(MediaType type) {
    return type == null ? "" : type.type() + "/" + type.subtype();
  }
}
