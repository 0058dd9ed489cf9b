package io.eventflow.broker;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.CreateSnapshotRequest;
import com.google.pubsub.v1.ListSnapshotsRequest;
import com.google.pubsub.v1.ListSubscriptionsRequest;
import com.google.pubsub.v1.ListTopicSnapshotsRequest;
import com.google.pubsub.v1.ListTopicSubscriptionsRequest;
import com.google.pubsub.v1.ListTopicsRequest;
import com.google.pubsub.v1.ModifyAckDeadlineRequest;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.SeekRequest;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.Topic;
import com.google.pubsub.v1.UpdateSnapshotRequest;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.ChannelFutureListener;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.SimpleChannelInboundHandler;
import io.grpc.netty.shaded.io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.grpc.netty.shaded.io.netty.handler.codec.http.FullHttpRequest;
import io.grpc.netty.shaded.io.netty.handler.codec.http.FullHttpResponse;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpHeaderNames;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpHeaderValues;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpMethod;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpResponseStatus;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpUtil;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpVersion;
import io.grpc.netty.shaded.io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Pub/Sub's REST/JSON API ({@code /v1/projects/...}, the proto3 JSON mapping of the same v1
 * messages) over HTTP/1.1, as Beam's {@code PubsubJsonClient} and curl use it. Errors come back in
 * Google's JSON error shape: {@code {"error": {"code", "message", "status"}}}. {@code GET /metrics}
 * answers the broker's meters in Prometheus text format.
 */
final class RestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();

  /** Writes the error bodies; thread-safe and shared, as Jackson intends factories to be. */
  private static final JsonFactory JSON = new JsonFactory();

  private final BrokerEngine engine;
  private final BrokerMetrics metrics;

  RestHandler(BrokerEngine engine, BrokerMetrics metrics) {
    this.engine = engine;
    this.metrics = metrics;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (request.method().equals(HttpMethod.GET)
        && new QueryStringDecoder(request.uri()).rawPath().equals("/metrics")) {
      write(ctx, HttpResponseStatus.OK, BrokerMetrics.contentType(), metrics.scrape(), keepAlive);
      return;
    }
    CompletableFuture<? extends Message> response;
    try {
      response = route(request);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    response.whenComplete(
        (message, error) -> {
          if (error != null) {
            writeError(ctx, Calls.toStatus(error), keepAlive);
          } else {
            write(ctx, HttpResponseStatus.OK, print(message), keepAlive);
          }
        });
  }

  private CompletableFuture<? extends Message> route(FullHttpRequest request) {
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    String path = uri.rawPath();
    if (!path.startsWith("/v1/projects/")) {
      throw notFound(request.method(), path);
    }
    String rest = path.substring("/v1/".length());
    String verb = "";
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      verb = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
    }
    String[] parts = rest.split("/", -1);
    for (int i = 0; i < parts.length; i++) {
      parts[i] = URLDecoder.decode(parts[i], StandardCharsets.UTF_8);
    }
    String body = request.content().toString(StandardCharsets.UTF_8);
    HttpMethod method = request.method();
    Map<String, List<String>> query = uri.parameters();
    if (parts.length < 3 || parts[1].isEmpty()) {
      throw notFound(method, path);
    }
    String project = "projects/" + parts[1];
    String collection = parts[2];
    if (parts.length == 3 && verb.isEmpty() && method.equals(HttpMethod.GET)) {
      if (collection.equals("topics")) {
        return done(
            () ->
                engine.listTopics(
                    ListTopicsRequest.newBuilder()
                        .setProject(project)
                        .setPageSize(intParam(query, "pageSize"))
                        .setPageToken(param(query, "pageToken"))
                        .build()));
      }
      if (collection.equals("subscriptions")) {
        return done(
            () ->
                engine.listSubscriptions(
                    ListSubscriptionsRequest.newBuilder()
                        .setProject(project)
                        .setPageSize(intParam(query, "pageSize"))
                        .setPageToken(param(query, "pageToken"))
                        .build()));
      }
      if (collection.equals("snapshots")) {
        return done(
            () ->
                engine.listSnapshots(
                    ListSnapshotsRequest.newBuilder()
                        .setProject(project)
                        .setPageSize(intParam(query, "pageSize"))
                        .setPageToken(param(query, "pageToken"))
                        .build()));
      }
    }
    if (parts.length < 4) {
      throw notFound(method, path);
    }
    String name = project + "/" + collection + "/" + parts[3];
    if (collection.equals("topics")) {
      return topic(method, verb, name, parts, body, query, path);
    }
    if (collection.equals("subscriptions") && parts.length == 4) {
      return subscription(method, verb, name, body, path);
    }
    if (collection.equals("snapshots") && parts.length == 4 && verb.isEmpty()) {
      return snapshot(method, name, body, path);
    }
    throw notFound(method, path);
  }

  private CompletableFuture<? extends Message> snapshot(
      HttpMethod method, String name, String body, String path) {
    if (method.equals(HttpMethod.PUT)) {
      CreateSnapshotRequest.Builder create = parse(body, CreateSnapshotRequest.newBuilder());
      return done(() -> engine.createSnapshot(create.setName(name).build()));
    }
    if (method.equals(HttpMethod.GET)) {
      return done(() -> engine.getSnapshot(name));
    }
    if (method.equals(HttpMethod.PATCH)) {
      UpdateSnapshotRequest.Builder update = parse(body, UpdateSnapshotRequest.newBuilder());
      update.getSnapshotBuilder().setName(name);
      return done(() -> engine.updateSnapshot(update.build()));
    }
    if (method.equals(HttpMethod.DELETE)) {
      return done(
          () -> {
            engine.deleteSnapshot(name);
            return com.google.protobuf.Empty.getDefaultInstance();
          });
    }
    throw notFound(method, path);
  }

  private CompletableFuture<? extends Message> topic(
      HttpMethod method,
      String verb,
      String name,
      String[] parts,
      String body,
      Map<String, List<String>> query,
      String path) {
    if (parts.length == 5 && verb.isEmpty() && method.equals(HttpMethod.GET)) {
      if (parts[4].equals("subscriptions")) {
        return done(
            () ->
                engine.listTopicSubscriptions(
                    ListTopicSubscriptionsRequest.newBuilder()
                        .setTopic(name)
                        .setPageSize(intParam(query, "pageSize"))
                        .setPageToken(param(query, "pageToken"))
                        .build()));
      }
      if (parts[4].equals("snapshots")) {
        return done(
            () ->
                engine.listTopicSnapshots(
                    ListTopicSnapshotsRequest.newBuilder()
                        .setTopic(name)
                        .setPageSize(intParam(query, "pageSize"))
                        .setPageToken(param(query, "pageToken"))
                        .build()));
      }
    }
    if (parts.length != 4) {
      throw notFound(method, path);
    }
    if (verb.equals("publish") && method.equals(HttpMethod.POST)) {
      PublishRequest.Builder publish = parse(body, PublishRequest.newBuilder());
      return engine.publish(publish.setTopic(name).build());
    }
    if (!verb.isEmpty()) {
      throw notFound(method, path);
    }
    if (method.equals(HttpMethod.PUT)) {
      Topic.Builder topic = parse(body, Topic.newBuilder());
      return done(() -> engine.createTopic(topic.setName(name).build()));
    }
    if (method.equals(HttpMethod.GET)) {
      return done(() -> engine.getTopic(name));
    }
    if (method.equals(HttpMethod.DELETE)) {
      return done(
          () -> {
            engine.deleteTopic(name);
            return com.google.protobuf.Empty.getDefaultInstance();
          });
    }
    if (method.equals(HttpMethod.PATCH)) {
      throw BrokerEngine.unimplemented("updating topics is not supported by eventflow-broker");
    }
    throw notFound(method, path);
  }

  private CompletableFuture<? extends Message> subscription(
      HttpMethod method, String verb, String name, String body, String path) {
    if (method.equals(HttpMethod.POST)) {
      switch (verb) {
        case "pull":
          return engine
              .pull(parse(body, PullRequest.newBuilder()).setSubscription(name).build())
              .thenApply(StoredMessages::withMessages);
        case "acknowledge":
          return done(
              () -> {
                engine.acknowledge(
                    parse(body, AcknowledgeRequest.newBuilder()).setSubscription(name).build());
                return com.google.protobuf.Empty.getDefaultInstance();
              });
        case "modifyAckDeadline":
          return done(
              () -> {
                engine.modifyAckDeadline(
                    parse(body, ModifyAckDeadlineRequest.newBuilder())
                        .setSubscription(name)
                        .build());
                return com.google.protobuf.Empty.getDefaultInstance();
              });
        case "seek":
          return done(
              () ->
                  engine.seek(parse(body, SeekRequest.newBuilder()).setSubscription(name).build()));
        case "modifyPushConfig":
          throw BrokerEngine.unimplemented(
              "push subscriptions are not supported by eventflow-broker");
        default:
          throw notFound(method, path);
      }
    }
    if (!verb.isEmpty()) {
      throw notFound(method, path);
    }
    if (method.equals(HttpMethod.PUT)) {
      Subscription.Builder subscription = parse(body, Subscription.newBuilder());
      return done(() -> engine.createSubscription(subscription.setName(name).build()));
    }
    if (method.equals(HttpMethod.GET)) {
      return done(() -> engine.getSubscription(name));
    }
    if (method.equals(HttpMethod.DELETE)) {
      return done(
          () -> {
            engine.deleteSubscription(name);
            return com.google.protobuf.Empty.getDefaultInstance();
          });
    }
    if (method.equals(HttpMethod.PATCH)) {
      throw BrokerEngine.unimplemented(
          "updating subscriptions is not supported by eventflow-broker");
    }
    throw notFound(method, path);
  }

  private static <T extends Message> CompletableFuture<T> done(Supplier<T> call) {
    return CompletableFuture.completedFuture(call.get());
  }

  private static <B extends Message.Builder> B parse(String body, B builder) {
    if (body.isBlank()) {
      return builder;
    }
    try {
      PARSER.merge(body, builder);
      return builder;
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw Status.INVALID_ARGUMENT
          .withDescription("Invalid JSON payload received. " + e.getMessage())
          .asRuntimeException();
    }
  }

  private static String param(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? "" : values.get(0);
  }

  private static int intParam(Map<String, List<String>> query, String name) {
    String value = param(query, name);
    if (value.isEmpty()) {
      return 0;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw BrokerEngine.invalid(
          "Query parameter " + name + " must be an integer (got " + value + ").");
    }
  }

  private static RuntimeException notFound(HttpMethod method, String path) {
    return Status.NOT_FOUND
        .withDescription("No Pub/Sub REST method matches " + method + " " + path + ".")
        .asRuntimeException();
  }

  private static String print(@Nullable Message message) {
    if (message == null) {
      return "{}";
    }
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getDescriptorForType(), e);
    }
  }

  private static void writeError(ChannelHandlerContext ctx, Status status, boolean keepAlive) {
    write(ctx, httpStatus(status.getCode()), errorJson(status), keepAlive);
  }

  /** Google's JSON error shape: {@code {"error":{"code":404,"message":"...","status":"..."}}}. */
  static String errorJson(Status status) {
    String message =
        status.getDescription() == null ? status.getCode().name() : status.getDescription();
    StringWriter out = new StringWriter();
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeObjectFieldStart("error");
      json.writeNumberField("code", httpStatus(status.getCode()).code());
      json.writeStringField("message", message);
      json.writeStringField("status", status.getCode().name());
      json.writeEndObject();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to a StringWriter cannot fail", e);
    }
    return out.toString();
  }

  /** The HTTP status Google APIs use for each gRPC code (google.rpc.Code's documented mapping). */
  static HttpResponseStatus httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> HttpResponseStatus.OK;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> HttpResponseStatus.BAD_REQUEST;
      case UNAUTHENTICATED -> HttpResponseStatus.UNAUTHORIZED;
      case PERMISSION_DENIED -> HttpResponseStatus.FORBIDDEN;
      case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
      case ALREADY_EXISTS, ABORTED -> HttpResponseStatus.CONFLICT;
      case RESOURCE_EXHAUSTED -> HttpResponseStatus.TOO_MANY_REQUESTS;
      case CANCELLED -> HttpResponseStatus.valueOf(499);
      case UNIMPLEMENTED -> HttpResponseStatus.NOT_IMPLEMENTED;
      case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
      case DEADLINE_EXCEEDED -> HttpResponseStatus.GATEWAY_TIMEOUT;
      default -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
    };
  }

  private static void write(
      ChannelHandlerContext ctx, HttpResponseStatus status, String json, boolean keepAlive) {
    write(ctx, status, "application/json; charset=UTF-8", json, keepAlive);
  }

  private static void write(
      ChannelHandlerContext ctx,
      HttpResponseStatus status,
      String contentType,
      String body,
      boolean keepAlive) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            status,
            Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    if (keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(response);
    } else {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
