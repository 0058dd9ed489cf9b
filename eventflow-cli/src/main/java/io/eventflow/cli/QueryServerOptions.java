package io.eventflow.cli;

import io.eventflow.timeseries.api.TimeSeriesClient;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.okhttp.OkHttpChannelBuilder;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The {@code --server} flag of the {@code series} commands and the call made through it. */
final class QueryServerOptions {
  /** Daemon threads for the channel, named without a format string (see the comment in call). */
  private static final ThreadFactory THREADS =
      task -> {
        Thread thread = new Thread(task, "eventflow-query-client");
        thread.setDaemon(true);
        return thread;
      };

  @Option(
      names = "--server",
      paramLabel = "HOST:PORT",
      defaultValue = "localhost:9090",
      converter = TargetConverter.class,
      description =
          "The query service (eventflow-timeseries-srv), plaintext gRPC. Default: localhost:9090.")
  String server;

  /**
   * Connects to the server, makes one call and closes the channel. A connection failure becomes
   * {@code UNAVAILABLE: cannot reach the query service at HOST:PORT} instead of gRPC's bare "io
   * exception"; statuses the server itself sent are passed on unchanged.
   */
  <T> T call(Function<TimeSeriesClient, T> call) {
    return call(TimeSeriesClient::new, call);
  }

  /**
   * Connects to the server, makes the calls {@code call} makes through the client {@code connect}
   * builds on the channel, and closes both, with connection failures reported as {@link
   * #call(Function)} reports them.
   */
  <C extends AutoCloseable, T> T call(Function<ManagedChannel, C> connect, Function<C, T> call) {
    // gRPC's OkHttp transport, not Netty: a one-call client needs none of Netty's event loops,
    // buffer pools and pipeline, and `series get` starts sooner for it (docs/BENCHMARKS.md, "CLI
    // start"). Its reader thread blocks in a socket read, a native call, and HotSpot's exit waits
    // up to 300 ms for every thread in native code (VM_Exit::wait_for_threads_in_native_to_block):
    // the channel is therefore shut down, and its sockets closed, before the command returns.
    // The channel runs on threads of its own, not gRPC's shared executor and timer: those name
    // their threads through Guava's ThreadFactoryBuilder, whose String.format loads the JDK's
    // locale data (CLDR), ~10 ms of a `series get`.
    ExecutorService executor = Executors.newCachedThreadPool(THREADS);
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(THREADS);
    ManagedChannel channel =
        OkHttpChannelBuilder.forTarget(server)
            .usePlaintext()
            .executor(executor)
            .offloadExecutor(executor)
            .transportExecutor(executor)
            .scheduledExecutorService(timer)
            .build();
    try (C client = connect.apply(channel)) {
      return call.apply(client);
    } catch (StatusRuntimeException e) {
      // A status the server sent arrives from its trailers without a cause; one the channel made up
      // because it never got a connection (refused, unresolvable host) carries the I/O error.
      if (e.getStatus().getCode() == Status.Code.UNAVAILABLE && e.getStatus().getCause() != null) {
        throw Status.UNAVAILABLE
            .withDescription("cannot reach the query service at " + server)
            .withCause(e)
            .asRuntimeException();
      }
      throw e;
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      // Only a client's close() may throw a checked exception (ours throw none).
      throw new IllegalStateException("cannot close the connection to " + server, e);
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      executor.shutdownNow();
      timer.shutdownNow();
    }
  }

  /** Checks that a target is {@code HOST:PORT} with a port from 1 to 65535. */
  static final class TargetConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      String target = value.trim();
      int colon = target.lastIndexOf(':');
      String host = colon < 0 ? "" : target.substring(0, colon);
      String port = colon < 0 ? "" : target.substring(colon + 1);
      if (host.isEmpty() || !port.matches("\\d{1,5}") || Integer.parseInt(port) < 1) {
        throw new TypeConversionException("expected HOST:PORT, got '" + value + "'");
      }
      if (Integer.parseInt(port) > 65535) {
        throw new TypeConversionException("port must be at most 65535, got '" + value + "'");
      }
      return target;
    }
  }
}
