package io.eventflow.cli;

import com.google.api.gax.rpc.ApiException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns exceptions into the one line a user reads. */
final class Errors {
  private Errors() {}

  /**
   * Describes an exception in one line: a gRPC status as {@code CODE: description}, a missing file
   * as {@code no such file: PATH}, anything else by the first line of its message.
   */
  static String describe(Throwable error) {
    Throwable e = unwrap(error);
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      Status status = null;
      if (cause instanceof StatusRuntimeException sre) {
        status = sre.getStatus();
      } else if (cause instanceof StatusException se) {
        status = se.getStatus();
      }
      if (status != null) {
        return status.getCode()
            + (status.getDescription() == null ? "" : ": " + firstLine(status.getDescription()));
      }
    }
    if (e instanceof ApiException api) {
      return api.getStatusCode().getCode() + ": " + firstLine(api.getMessage());
    }
    if (e instanceof NoSuchFileException) {
      return "no such file: " + e.getMessage();
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied: " + e.getMessage();
    }
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e.getClass().getSimpleName();
    }
    return firstLine(message);
  }

  private static Throwable unwrap(Throwable e) {
    Throwable current = e;
    while ((current instanceof ExecutionException
            || current instanceof CompletionException
            || current instanceof UncheckedIOException
            || current instanceof InvocationTargetException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  private static String firstLine(String message) {
    int newline = message.indexOf('\n');
    return (newline < 0 ? message : message.substring(0, newline)).trim();
  }
}
