package io.eventflow.timeseries.srv;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.function.LongSupplier;

/** Counts every call by method and status code and records its latency. */
public final class MetricsInterceptor implements ServerInterceptor {
  private final Metrics metrics;
  private final LongSupplier nanoTime;

  /** Creates an interceptor measuring with {@code nanoTime} (e.g. {@code System::nanoTime}). */
  public MetricsInterceptor(Metrics metrics, LongSupplier nanoTime) {
    this.metrics = metrics;
    this.nanoTime = nanoTime;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long started = nanoTime.getAsLong();
    String method = call.getMethodDescriptor().getBareMethodName();
    return next.startCall(
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            metrics.request(method, status.getCode(), nanoTime.getAsLong() - started);
            super.close(status, trailers);
          }
        },
        headers);
  }
}
