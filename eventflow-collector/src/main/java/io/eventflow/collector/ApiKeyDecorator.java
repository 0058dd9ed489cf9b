package io.eventflow.collector;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.util.AttributeKey;
import java.util.Optional;

/**
 * Checks the API key of every event request ({@code Authorization: Bearer KEY}, or {@code ?key=KEY}
 * where a browser cannot set headers, as with {@code navigator.sendBeacon}) and records the source
 * it decides for the handler. An unknown or missing key is answered {@code 401} (gRPC: {@code
 * UNAUTHENTICATED}). In an open collector (no key file) every request passes and keeps its own
 * source.
 */
final class ApiKeyDecorator implements DecoratingHttpServiceFunction {
  private static final AttributeKey<String> SOURCE =
      AttributeKey.valueOf(ApiKeyDecorator.class, "source");

  private final ApiKeys keys;

  ApiKeyDecorator(ApiKeys keys) {
    this.keys = keys;
  }

  /** Returns the source the request's key decided; empty in an open collector. */
  static Optional<String> source(ServiceRequestContext ctx) {
    return Optional.ofNullable(ctx.attr(SOURCE));
  }

  @Override
  public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req)
      throws Exception {
    String path = ctx.path();
    if (path.startsWith("/grpc.health.") || path.startsWith("/grpc.reflection.")) {
      // Probes and grpcurl's discovery reveal nothing and publish nothing: no key needed.
      return delegate.serve(ctx, req);
    }
    String key = key(ctx, req);
    if (key == null) {
      return HttpAnswers.error(
          401, "an API key is required: Authorization: Bearer KEY, or ?key=KEY");
    }
    Optional<String> source = keys.sourceOf(key);
    if (source.isEmpty()) {
      return HttpAnswers.error(401, "unknown API key");
    }
    ctx.setAttr(SOURCE, source.get());
    return delegate.serve(ctx, req);
  }

  private static String key(ServiceRequestContext ctx, HttpRequest req) {
    String authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String key = authorization.substring(7).strip();
      return key.isEmpty() ? null : key;
    }
    String query = ctx.query();
    return query == null ? null : QueryParams.fromQueryString(query).get("key");
  }
}
