package io.eventflow.collector;

import com.google.protobuf.util.Durations;
import io.eventflow.collector.pb.CollectorMessage;
import io.eventflow.collector.pb.ProcessRequest;
import io.eventflow.collector.pb.ProcessResponse;
import io.eventflow.collector.pb.ProcessorMessage;
import io.eventflow.collector.pb.Register;
import io.eventflow.collector.pb.Registered;
import io.eventflow.common.pb.Event;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processors connected to this collector and the calls routed to them (the eventproc design): a
 * processor's {@code Connect} stream registers the types it handles (none: every type); a call goes
 * to one processor for its type, round-robin among them, and waits for its answer up to the call's
 * deadline.
 *
 * <p>No processor for the type: {@code NOT_FOUND} at once. The deadline passes: {@code
 * DEADLINE_EXCEEDED}, and an answer arriving later is dropped and counted. The processor's stream
 * ends mid-call: its calls fail at once with {@code UNAVAILABLE}, so a caller can retry (another
 * instance gets it). Nothing here blocks; answers complete futures.
 */
final class Processors {
  private static final Logger logger = LoggerFactory.getLogger(Processors.class);

  private final CollectorMetrics metrics;
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> nextByType = new ConcurrentHashMap<>();
  private final AtomicLong callIds = new AtomicLong();

  Processors(CollectorMetrics metrics) {
    this.metrics = metrics;
    metrics.processors(() -> connections.stream().filter(c -> c.registered).count());
  }

  /**
   * Sends the event to a processor for its type and returns its answer.
   *
   * @return a future of the answer, failed with a {@link io.grpc.StatusException} of {@code
   *     NOT_FOUND}, {@code DEADLINE_EXCEEDED}, {@code UNAVAILABLE} or {@code INTERNAL} (the
   *     processor's own error)
   */
  CompletableFuture<Answer> call(Event event, Duration timeout) {
    Connection connection = pick(event.getType());
    if (connection == null) {
      metrics.call("NOT_FOUND");
      return CompletableFuture.failedFuture(
          Status.NOT_FOUND
              .withDescription("no processor is connected for event type " + event.getType())
              .asException());
    }
    long id = callIds.incrementAndGet();
    CompletableFuture<Event> answer = new CompletableFuture<>();
    connection.inFlight.put(id, answer);
    connection.send(
        CollectorMessage.newBuilder()
            .setRequest(
                ProcessRequest.newBuilder()
                    .setCallId(id)
                    .setEvent(event)
                    .setTimeout(Durations.fromNanos(timeout.toNanos())))
            .build());
    if (!connection.open) {
      // The stream ended between pick and put: its close already failed what it held.
      fail(answer, connection);
    }
    return answer
        .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
        .handle(
            (response, error) -> {
              connection.inFlight.remove(id);
              if (error == null) {
                metrics.call("OK");
                return new Answer(response, connection.name);
              }
              Throwable cause = error.getCause() != null ? error.getCause() : error;
              if (cause instanceof TimeoutException) {
                metrics.call("DEADLINE_EXCEEDED");
                throw new java.util.concurrent.CompletionException(
                    Status.DEADLINE_EXCEEDED
                        .withDescription(
                            "processor " + connection.name + " did not answer within " + timeout)
                        .asException());
              }
              metrics.call(Status.fromThrowable(cause).getCode().name());
              throw new java.util.concurrent.CompletionException(cause);
            });
  }

  /** A processor's answer and who gave it. */
  record Answer(Event response, String processor) {}

  private Connection pick(String type) {
    List<Connection> candidates = new ArrayList<>();
    for (Connection c : connections) {
      if (c.registered && c.open && (c.types.isEmpty() || c.types.contains(type))) {
        candidates.add(c);
      }
    }
    if (candidates.isEmpty()) {
      return null;
    }
    int next = nextByType.computeIfAbsent(type, t -> new AtomicInteger()).getAndIncrement();
    return candidates.get(Math.floorMod(next, candidates.size()));
  }

  private static void fail(CompletableFuture<Event> answer, Connection connection) {
    answer.completeExceptionally(
        Status.UNAVAILABLE
            .withDescription("processor " + connection.name + " disconnected mid-call; retry")
            .asException());
  }

  /** Serves one processor's {@code Connect} stream: returns what reads its messages. */
  StreamObserver<ProcessorMessage> connect(StreamObserver<CollectorMessage> out) {
    Connection connection = new Connection(out);
    connections.add(connection);
    return connection;
  }

  /** One processor's stream. */
  private final class Connection implements StreamObserver<ProcessorMessage> {
    private final StreamObserver<CollectorMessage> out;
    final Map<Long, CompletableFuture<Event>> inFlight = new ConcurrentHashMap<>();
    volatile boolean registered;
    volatile boolean open = true;
    volatile String name = "unregistered";
    volatile Set<String> types = Set.of();

    Connection(StreamObserver<CollectorMessage> out) {
      this.out = out;
    }

    /** Writes to the stream; a StreamObserver takes one writer at a time. */
    void send(CollectorMessage message) {
      synchronized (out) {
        if (open) {
          out.onNext(message);
        }
      }
    }

    @Override
    public void onNext(ProcessorMessage message) {
      switch (message.getKindCase()) {
        case REGISTER -> register(message.getRegister());
        case RESPONSE -> respond(message.getResponse());
        default -> {
          // A newer processor's message this collector does not know: ignore it.
        }
      }
    }

    private void register(Register register) {
      name =
          register.getName().isBlank()
              ? "processor-" + callIds.incrementAndGet()
              : register.getName();
      types = Set.copyOf(new HashSet<>(register.getTypesList()));
      send(
          CollectorMessage.newBuilder()
              .setRegistered(Registered.newBuilder().addAllTypes(register.getTypesList()))
              .build());
      registered = true;
      logger.info("processor {} connected for {}", name, types.isEmpty() ? "every type" : types);
    }

    private void respond(ProcessResponse response) {
      CompletableFuture<Event> answer = inFlight.remove(response.getCallId());
      if (answer == null) {
        // Its caller's deadline passed (or it was never asked): the answer has no one to go to.
        metrics.lateResponses.increment();
        return;
      }
      if (!response.getError().isEmpty()) {
        answer.completeExceptionally(
            Status.INTERNAL
                .withDescription("processor " + name + " failed: " + response.getError())
                .asException());
      } else {
        answer.complete(response.getResponse());
      }
    }

    @Override
    public void onError(Throwable t) {
      close();
    }

    @Override
    public void onCompleted() {
      close();
      synchronized (out) {
        out.onCompleted();
      }
    }

    private void close() {
      open = false;
      connections.remove(this);
      for (CompletableFuture<Event> answer : inFlight.values()) {
        fail(answer, this);
      }
      if (registered) {
        logger.info("processor {} disconnected", name);
      }
    }
  }
}
