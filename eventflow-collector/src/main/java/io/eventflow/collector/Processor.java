package io.eventflow.collector;

import io.eventflow.collector.pb.CollectorGrpc;
import io.eventflow.collector.pb.CollectorMessage;
import io.eventflow.collector.pb.ProcessRequest;
import io.eventflow.collector.pb.ProcessResponse;
import io.eventflow.collector.pb.ProcessorMessage;
import io.eventflow.collector.pb.Register;
import io.eventflow.common.pb.Event;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A processor: connects to a collector over a bidirectional {@code Connect} stream, registers the
 * event types it has handlers for, and answers the events the collector routes to it.
 *
 * <pre>{@code
 * try (Processor processor =
 *     Processor.builder("pricing")
 *         .on("quote", event -> Event.newBuilder().setType("price")
 *             .putAttributes("cents", AttributeValues.of(1999L)).build())
 *         .connect("collector.example.com:8080")) {
 *   processor.awaitTermination();
 * }
 * }</pre>
 *
 * <p>Handlers run on the processor's own threads (4 unless set), never on gRPC's, so a handler may
 * block. A handler's exception goes back to the caller as the processor's error ({@code INTERNAL} /
 * 502). When the stream breaks (the collector restarted, a network blip) the processor reconnects
 * with backoff (100 ms doubling to 5 s) and registers again.
 */
public final class Processor implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Processor.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** Answers one event. */
  @FunctionalInterface
  public interface Handler {
    /**
     * Returns the answer to {@code event}.
     *
     * @throws Exception to answer with an error instead; its message goes to the caller
     */
    Event handle(Event event) throws Exception;
  }

  private final String name;
  private final Map<String, Handler> handlers;
  private final Handler fallback;
  private final ManagedChannel channel;
  private final CollectorGrpc.CollectorStub stub;
  private final ExecutorService workers;
  private final ScheduledExecutorService reconnects;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile CountDownLatch registered = new CountDownLatch(1);
  private volatile StreamObserver<ProcessorMessage> stream;
  private Duration backoff = Duration.ofMillis(100);

  private Processor(Builder builder, String target) {
    this.name = builder.name;
    this.handlers = Map.copyOf(builder.handlers);
    this.fallback = builder.fallback;
    // The stream's callbacks only hand requests to the workers and count down latches: they run
    // on the transport's thread, saving a hop through grpc-java's default executor per request.
    this.channel = ManagedChannelBuilder.forTarget(target).usePlaintext().directExecutor().build();
    CollectorGrpc.CollectorStub plain = CollectorGrpc.newStub(channel);
    if (builder.apiKey != null) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + builder.apiKey);
      plain = plain.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    this.stub = plain;
    this.workers =
        Executors.newFixedThreadPool(
            builder.threads,
            r -> {
              Thread t = new Thread(r, "eventflow-processor-" + name);
              t.setDaemon(true);
              return t;
            });
    this.reconnects =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "eventflow-processor-reconnect");
              t.setDaemon(true);
              return t;
            });
  }

  /** Returns a builder for a processor registering as {@code name}. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  private synchronized void open() {
    if (closed.get()) {
      return;
    }
    stream = stub.connect(new Responses());
    Register.Builder register = Register.newBuilder().setName(name);
    if (fallback == null) {
      register.addAllTypes(handlers.keySet());
    }
    stream.onNext(ProcessorMessage.newBuilder().setRegister(register).build());
  }

  private synchronized void send(ProcessorMessage message) {
    if (stream != null) {
      stream.onNext(message);
    }
  }

  private final class Responses implements StreamObserver<CollectorMessage> {
    @Override
    public void onNext(CollectorMessage message) {
      switch (message.getKindCase()) {
        case REGISTERED -> {
          synchronized (Processor.this) {
            backoff = Duration.ofMillis(100);
          }
          registered.countDown();
        }
        case REQUEST -> workers.execute(() -> answer(message.getRequest()));
        default -> {
          // A newer collector's message this processor does not know: ignore it.
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      lost(t.toString());
    }

    @Override
    public void onCompleted() {
      lost("the collector ended the stream");
    }
  }

  private void answer(ProcessRequest request) {
    Event event = request.getEvent();
    Handler handler = handlers.getOrDefault(event.getType(), fallback);
    ProcessResponse.Builder response = ProcessResponse.newBuilder().setCallId(request.getCallId());
    try {
      if (handler == null) {
        throw new IllegalStateException("no handler for event type " + event.getType());
      }
      response.setResponse(Objects.requireNonNull(handler.handle(event), "handler answered null"));
    } catch (Exception e) {
      response.setError(String.valueOf(e.getMessage()));
    }
    send(ProcessorMessage.newBuilder().setResponse(response).build());
  }

  private void lost(String why) {
    if (closed.get()) {
      terminated.countDown();
      return;
    }
    Duration delay;
    synchronized (this) {
      stream = null;
      registered = new CountDownLatch(1);
      delay = backoff;
      backoff =
          backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0
              ? Duration.ofSeconds(5)
              : backoff.multipliedBy(2);
    }
    logger.warn("processor {} lost its collector ({}); reconnecting in {}", name, why, delay);
    reconnects.schedule(this::open, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Waits until the processor is registered (after a reconnect: again).
   *
   * @return whether it is registered within {@code timeout}
   */
  public boolean awaitRegistered(Duration timeout) throws InterruptedException {
    return registered.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Blocks until {@link #close()} was called. */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /**
   * Disconnects: the collector fails the calls this processor holds with {@code UNAVAILABLE}, so
   * their callers can retry on another instance.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      if (stream != null) {
        stream.onCompleted();
        stream = null;
      }
    }
    reconnects.shutdownNow();
    workers.shutdownNow();
    channel.shutdownNow();
    terminated.countDown();
  }

  /** Collects a processor's handlers and settings. */
  public static final class Builder {
    private final String name;
    private final Map<String, Handler> handlers = new LinkedHashMap<>();
    private Handler fallback;
    private String apiKey;
    private int threads = 4;

    private Builder(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    /** Handles events of {@code type}. */
    public Builder on(String type, Handler handler) {
      if (type.isBlank()) {
        throw new IllegalArgumentException("event type must not be blank");
      }
      handlers.put(type, Objects.requireNonNull(handler, "handler"));
      return this;
    }

    /** Handles every type without a handler of its own; the processor then registers for all. */
    public Builder onAny(Handler handler) {
      this.fallback = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /** Sends this API key ({@code Authorization: Bearer KEY}) to a collector that wants keys. */
    public Builder apiKey(String key) {
      this.apiKey = key;
      return this;
    }

    /** Sets how many handlers may run at once. Default: 4. */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be positive");
      }
      this.threads = threads;
      return this;
    }

    /**
     * Connects to the collector at {@code host:port} and registers; returns at once (use {@link
     * #awaitRegistered}). A collector that is down is retried with backoff.
     *
     * @throws IllegalStateException if no handler was added
     */
    public Processor connect(String hostAndPort) {
      if (handlers.isEmpty() && fallback == null) {
        throw new IllegalStateException("a processor needs at least one handler (on or onAny)");
      }
      Processor processor = new Processor(this, hostAndPort);
      processor.open();
      return processor;
    }
  }
}
