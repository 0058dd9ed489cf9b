package io.eventflow.broker;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs engine calls for gRPC handlers, turning failures into the right status. */
final class Calls {
  private static final Logger logger = LoggerFactory.getLogger(Calls.class);

  private Calls() {}

  /** Answers {@code observer} with the result of {@code call}, or with its status on failure. */
  static <T> void unary(StreamObserver<T> observer, Supplier<T> call) {
    T result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      observer.onError(toStatus(e).asRuntimeException());
      return;
    }
    observer.onNext(result);
    observer.onCompleted();
  }

  /** Answers {@code observer} when the future from {@code call} completes. */
  static <T> void async(StreamObserver<T> observer, Supplier<CompletableFuture<T>> call) {
    CompletableFuture<T> future;
    try {
      future = call.get();
    } catch (RuntimeException e) {
      observer.onError(toStatus(e).asRuntimeException());
      return;
    }
    future.whenComplete(
        (result, error) -> {
          if (error != null) {
            observer.onError(toStatus(error).asRuntimeException());
          } else {
            observer.onNext(result);
            observer.onCompleted();
          }
        });
  }

  /** The status a failure maps to: its own if it carries one, INTERNAL otherwise. */
  static Status toStatus(Throwable error) {
    Throwable e = error;
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof StatusRuntimeException s) {
      return s.getStatus();
    }
    logger.error("unexpected failure", e);
    return Status.INTERNAL.withDescription(String.valueOf(e.getMessage())).withCause(e);
  }

  /** The answer to an API method the broker does not implement. */
  static <T> void unimplemented(StreamObserver<T> observer, String what) {
    observer.onError(
        Status.UNIMPLEMENTED
            .withDescription(what + " is not supported by eventflow-broker")
            .asRuntimeException());
  }
}
