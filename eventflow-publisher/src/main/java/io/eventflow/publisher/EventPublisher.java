package io.eventflow.publisher;

import static com.google.common.util.concurrent.MoreExecutors.directExecutor;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.batching.FlowController.LimitExceededBehavior;
import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.ChannelPoolSettings;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.EventValidator;
import io.eventflow.common.IdGenerator;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.Rfc3339;
import io.eventflow.common.UuidV7Generator;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.Violation;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Publishes eventflow {@link Event}s to one Pub/Sub topic through the official client's {@link
 * Publisher}, which batches, retries and flow-controls.
 *
 * <p>Each {@link #publish} fills in what the event lacks (a UUIDv7 id, the current time, the
 * default source) and keeps what it has, so backfilled history keeps its ids and timestamps. It
 * then rejects, with an {@link InvalidEventException}, any event ingest would dead-letter, and
 * sends the rest as binary protobuf (or proto3 JSON) with the {@link MessageAttributes} that let
 * ingest deduplicate without parsing and subscriptions filter by type, source or customer.
 *
 * <pre>{@code
 * try (EventPublisher publisher =
 *     EventPublisher.newBuilder("projects/my-project/topics/events")
 *         .defaultSource("checkout-service")
 *         .build()) {
 *   publisher.publish(
 *       Event.newBuilder()
 *           .setType("purchase")
 *           .setCustomer(StringValue.of("customer-42"))
 *           .putAttributes("amount_cents", AttributeValues.of(1999L)));
 * }
 * }</pre>
 *
 * <p>Thread-safe: one instance per topic is meant to be shared by every thread of a process.
 */
public final class EventPublisher implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(EventPublisher.class.getName());

  /** The environment variable every Pub/Sub client library reads for an emulator's host:port. */
  public static final String EMULATOR_HOST_ENV = "PUBSUB_EMULATOR_HOST";

  /** The environment variable Google Cloud libraries read for the default project id. */
  public static final String PROJECT_ENV = "GOOGLE_CLOUD_PROJECT";

  /**
   * Events per publish request: Pub/Sub's own maximum of 1,000 messages per request. The client's
   * default of 100 makes ten times as many RPCs for the same events; fewer, fuller requests are
   * what throughput costs on both ends.
   */
  public static final long DEFAULT_BATCH_EVENTS = 1_000;

  /**
   * Bytes per publish request: 1 MB. A typical ~300-byte event fills the 1,000-event count first
   * (~300 KB), so this only bounds batches of large events: at a tenth of Pub/Sub's 10 MB request
   * limit it keeps a retried request cheap and far from the limit even with 256 KiB events.
   */
  public static final long DEFAULT_BATCH_BYTES = 1_000_000;

  /**
   * The longest an event waits for its batch to fill: 10 ms. It bounds the latency batching adds at
   * low rates; at 100,000 events/s a batch fills by count in 10 ms anyway. The client's default of
   * 1 ms sends small requests whenever the rate is below ~100,000 events/s.
   */
  public static final Duration DEFAULT_BATCH_DELAY = Duration.ofMillis(10);

  /**
   * Events published but not yet confirmed, at most: 10,000, i.e. ten full requests in flight. At a
   * 50 ms publish round trip that still sustains 200,000 events/s per publisher, while a producer
   * that outruns Pub/Sub is held back instead of buffering without bound.
   */
  public static final long DEFAULT_MAX_OUTSTANDING_EVENTS = 10_000;

  /**
   * Bytes published but not yet confirmed, at most: 64 MiB, so a burst of large events cannot
   * exhaust a service's heap (256 such events at the 256 KiB payload limit).
   */
  public static final long DEFAULT_MAX_OUTSTANDING_BYTES = 64L * 1024 * 1024;

  /**
   * How long the client retries a failing request before failing its events: 600 s, the Pub/Sub
   * client's own default, long enough to ride out a regional blip without losing events.
   */
  public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofMinutes(10);

  /** How long {@link #close()} waits for outstanding events to be confirmed: 30 s. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Payloads at least this large are gzipped when compression is enabled: 240 bytes, the client's
   * default, below which gzip's ~20-byte framing outweighs what it saves.
   */
  public static final long DEFAULT_COMPRESSION_THRESHOLD_BYTES = 240;

  private final Publisher publisher;
  private final TopicName topic;
  private final ContentType contentType;
  private final Clock clock;
  private final IdGenerator ids;
  private final String defaultSource;
  private final EventValidator validator;
  private final Duration closeTimeout;

  /** The channel to an emulator, which we own and close; null for real Pub/Sub. */
  private final EmulatorChannel emulatorChannel;

  private final Outstanding outstanding = new Outstanding();
  private final AtomicBoolean closed = new AtomicBoolean();

  private EventPublisher(Builder builder, TopicName topic, EmulatorChannel channel)
      throws IOException {
    this.topic = topic;
    this.contentType = builder.contentType;
    this.clock = builder.clock;
    this.ids =
        builder.ids != null
            ? builder.ids
            : new UuidV7Generator(builder.clock, () -> ThreadLocalRandom.current().nextLong());
    this.defaultSource = builder.defaultSource;
    this.validator = new EventValidator(builder.limits, builder.clock);
    this.closeTimeout = builder.closeTimeout;
    this.emulatorChannel = channel;

    Publisher.Builder pubsub =
        Publisher.newBuilder(topic)
            .setBatchingSettings(
                BatchingSettings.newBuilder()
                    .setElementCountThreshold(builder.batchEvents)
                    .setRequestByteThreshold(builder.batchBytes)
                    .setDelayThresholdDuration(builder.batchDelay)
                    .setFlowControlSettings(
                        FlowControlSettings.newBuilder()
                            .setMaxOutstandingElementCount(builder.maxOutstandingEvents)
                            .setMaxOutstandingRequestBytes(builder.maxOutstandingBytes)
                            .setLimitExceededBehavior(builder.limitExceededBehavior)
                            .build())
                    .build())
            .setRetrySettings(retrySettings(builder.publishTimeout))
            .setEnableCompression(builder.compression)
            .setCompressionBytesThreshold(builder.compressionThresholdBytes);
    if (channel != null) {
      // An emulator speaks plaintext gRPC and checks no credentials; ADC may not even exist.
      pubsub
          .setChannelProvider(
              FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel.channel)))
          .setCredentialsProvider(NoCredentialsProvider.create());
    } else {
      // The client's own default channels (one per CPU), with the cheaper Publish encoding.
      pubsub.setChannelProvider(
          TopicAdminSettings.defaultGrpcTransportProviderBuilder()
              .setChannelPoolSettings(
                  ChannelPoolSettings.staticallySized(Runtime.getRuntime().availableProcessors()))
              .setInterceptorProvider(() -> List.of(PublishRequestMarshaller.interceptor()))
              .build());
      if (builder.credentials != null) {
        pubsub.setCredentialsProvider(builder.credentials);
      }
      if (builder.endpoint != null) {
        pubsub.setEndpoint(builder.endpoint);
      }
    }
    this.publisher = pubsub.build();
  }

  /**
   * The client's retry schedule (100 ms first backoff growing 1.3x to 60 s, 5 s first attempt
   * timeout growing to 60 s) with our total timeout, clamped to the 10 s minimum the client takes.
   */
  private static RetrySettings retrySettings(Duration total) {
    Duration totalTimeout =
        total.compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : total;
    Duration maxRpcTimeout =
        totalTimeout.compareTo(Duration.ofSeconds(60)) < 0 ? totalTimeout : Duration.ofSeconds(60);
    Duration initialRpcTimeout =
        maxRpcTimeout.compareTo(Duration.ofSeconds(5)) < 0 ? maxRpcTimeout : Duration.ofSeconds(5);
    return RetrySettings.newBuilder()
        .setTotalTimeoutDuration(totalTimeout)
        .setInitialRetryDelayDuration(Duration.ofMillis(100))
        .setRetryDelayMultiplier(1.3)
        .setMaxRetryDelayDuration(Duration.ofSeconds(60))
        .setInitialRpcTimeoutDuration(initialRpcTimeout)
        .setRpcTimeoutMultiplier(1.3)
        .setMaxRpcTimeoutDuration(maxRpcTimeout)
        .build();
  }

  /**
   * Returns a builder for a publisher to the given topic: a full name ({@code projects/P/topics/T})
   * or a bare topic id resolved against {@link Builder#project} or the {@code GOOGLE_CLOUD_PROJECT}
   * environment variable.
   */
  public static Builder newBuilder(String topic) {
    return new Builder(topic);
  }

  /** Returns the topic this publisher sends to. */
  public TopicName topic() {
    return topic;
  }

  /** Returns how payloads are encoded. */
  public ContentType contentType() {
    return contentType;
  }

  /**
   * Publishes an event, filling in a missing id, timestamp or source. See {@link
   * #publish(Event.Builder)}.
   */
  public ApiFuture<String> publish(Event event) {
    return send(complete(event));
  }

  /**
   * Publishes the event the builder holds, filling in a missing id (a UUIDv7), timestamp (the
   * clock's now) and source (the default source), and keeping those it has. The builder itself is
   * not modified.
   *
   * <p>With the default {@link LimitExceededBehavior#Block} flow control this call blocks while the
   * outstanding limits are reached; with {@link LimitExceededBehavior#ThrowException} the returned
   * future fails instead.
   *
   * @return a future of the event's id, done once Pub/Sub has stored the event; it fails if the
   *     event could not be published within the publish timeout
   * @throws InvalidEventException if ingest would reject the event, naming the rule it breaks
   * @throws IllegalStateException if the publisher is closed
   */
  public ApiFuture<String> publish(Event.Builder event) {
    return publish(event.build());
  }

  /**
   * Returns the event with what {@link #publish} fills in: a missing id (a UUIDv7), timestamp (the
   * clock's now) and source (the default source); an event lacking none is returned as it is.
   * Publishing the result keeps them. The collector uses it to hand a processor the event exactly
   * as it is published.
   */
  public Event complete(Event event) {
    boolean needsId = event.getId().isEmpty();
    boolean needsTimestamp = !event.hasTimestamp();
    boolean needsSource = event.getSource().isEmpty() && !defaultSource.isEmpty();
    if (!needsId && !needsTimestamp && !needsSource) {
      return event;
    }
    Event.Builder completed = event.toBuilder();
    if (needsId) {
      completed.setId(ids.nextId());
    }
    if (needsTimestamp) {
      Instant now = clock.instant();
      completed.setTimestamp(
          Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
    }
    if (needsSource) {
      completed.setSource(defaultSource);
    }
    return completed.build();
  }

  /**
   * Publishes events together, each as {@link #publish(Event)} would: what one lacks is filled in,
   * and one ingest would reject is not sent (and named in the result) while the others are. Their
   * confirmation is one future, which costs less per event than a future each.
   *
   * @return the ids of the events sent, the invalid ones, and a future done once Pub/Sub confirmed
   *     every event sent; if the client refuses one midway (it is closing), that event and the rest
   *     are not sent and the future fails, once the ones sent were answered
   * @throws IllegalStateException if the publisher is closed
   */
  public PublishedEvents publishAll(List<Event> events) {
    checkOpen();
    List<String> ids = new ArrayList<>(events.size());
    Map<Integer, InvalidEventException> invalid = new HashMap<>();
    List<PubsubMessage> messages = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      Event event = complete(events.get(i));
      try {
        messages.add(message(event));
        ids.add(event.getId());
      } catch (InvalidEventException e) {
        invalid.put(i, e);
      }
    }
    int count = messages.size();
    outstanding.add(count);
    // Counted down once the group's future is done, so it is done by the time flush() returns.
    PublishedEvents.Confirmation confirmation =
        new PublishedEvents.Confirmation(count, () -> outstanding.add(-count));
    for (int i = 0; i < count; i++) {
      ApiFuture<String> published;
      try {
        published = publisher.publish(messages.get(i));
      } catch (RuntimeException e) {
        confirmation.notSent(count - i, e);
        break;
      }
      published.addListener(() -> confirmation.answered(published), directExecutor());
    }
    return new PublishedEvents(ids, invalid, confirmation);
  }

  private ApiFuture<String> send(Event event) {
    checkOpen();
    PubsubMessage message = message(event);
    outstanding.add(1);
    ApiFuture<String> messageId;
    try {
      messageId = publisher.publish(message);
    } catch (RuntimeException e) {
      outstanding.add(-1);
      throw e;
    }
    String id = event.getId();
    ApiFuture<String> eventId = ApiFutures.transform(messageId, ignored -> id, directExecutor());
    // Counted down on the future the caller holds, so it is done by the time flush() returns.
    eventId.addListener(() -> outstanding.add(-1), directExecutor());
    return eventId;
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("publisher to " + topic + " is closed");
    }
  }

  /**
   * Returns the Pub/Sub message of a completed event: its payload and the attributes ingest and
   * subscriptions read.
   *
   * @throws InvalidEventException if ingest would reject the event
   */
  private PubsubMessage message(Event event) {
    Optional<Violation> violation = validator.validate(event);
    if (violation.isPresent()) {
      throw new InvalidEventException(violation.get());
    }
    ByteString payload =
        contentType == ContentType.JSON
            ? ByteString.copyFrom(EventJson.printBytes(event))
            : event.toByteString();
    int maxPayloadBytes = validator.limits().maxPayloadBytes();
    if (payload.size() > maxPayloadBytes) {
      throw new InvalidEventException(
          new Violation(
              InvalidReason.PAYLOAD_TOO_LARGE,
              "payload is " + payload.size() + " bytes, more than " + maxPayloadBytes));
    }
    PubsubMessage.Builder message =
        PubsubMessage.newBuilder()
            .setData(payload)
            .putAttributes(MessageAttributes.ID, event.getId())
            .putAttributes(MessageAttributes.TIMESTAMP, Rfc3339.format(event.getTimestamp()))
            .putAttributes(MessageAttributes.TYPE, event.getType())
            .putAttributes(MessageAttributes.SOURCE, event.getSource())
            .putAttributes(MessageAttributes.CONTENT_TYPE, contentType.mimeType());
    if (event.hasCustomer()) {
      message.putAttributes(MessageAttributes.CUSTOMER, event.getCustomer().getValue());
    }
    return message.build();
  }

  /**
   * Sends every buffered event now, without waiting for Pub/Sub's answers (they complete each
   * event's future as usual). For a caller that knows no more events are coming for a while, such
   * as the MQTT bridge when it has taken every message that arrived: its events need not wait the
   * batch delay.
   */
  public void sendBuffered() {
    publisher.publishAllOutstanding();
  }

  /**
   * Sends every buffered event now and waits until all events published so far are confirmed or
   * failed. Failures are reported through each event's future, not here. When it returns every such
   * future is done, though callbacks added to them may still be running on the client's threads.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public void flush() throws InterruptedException {
    publisher.publishAllOutstanding();
    outstanding.awaitNone();
  }

  /**
   * Sends every buffered event now and waits at most {@code timeout} for all events published so
   * far to be confirmed or failed.
   *
   * @return whether every event was confirmed or failed within the timeout
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean flush(Duration timeout) throws InterruptedException {
    publisher.publishAllOutstanding();
    return outstanding.awaitNone(timeout);
  }

  /** Returns how many published events are not yet confirmed or failed. */
  public long outstandingEvents() {
    return outstanding.count();
  }

  /**
   * Sends every buffered event, waits up to the close timeout for all of them to be confirmed, and
   * releases the client's threads and connections. Calling it again does nothing.
   *
   * @throws IllegalStateException if events were still unconfirmed when the close timeout passed;
   *     their futures complete later, when Pub/Sub answers or the publish timeout passes
   */
  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    boolean drained;
    try {
      drained = flush(closeTimeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      drained = false;
    }
    if (drained) {
      shutdown();
      return;
    }
    // Publisher.shutdown() waits for every outstanding event without a bound; let it finish on a
    // daemon thread so the caller gets its bounded close and the events still get their answers.
    long stillOutstanding = outstanding.count();
    Thread finisher = new Thread(this::shutdown, "eventflow-publisher-close");
    finisher.setDaemon(true);
    finisher.start();
    throw new IllegalStateException(
        stillOutstanding
            + (stillOutstanding == 1 ? " event" : " events")
            + " to "
            + topic
            + " were still unconfirmed after "
            + closeTimeout
            + "; their futures complete when Pub/Sub answers or the publish timeout passes");
  }

  private void shutdown() {
    try {
      publisher.shutdown();
      if (!publisher.awaitTermination(closeTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        logger.log(Level.WARNING, "Pub/Sub publisher threads for {0} did not stop", topic);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (emulatorChannel != null) {
        emulatorChannel.close();
      }
    }
  }

  /**
   * The plaintext connection to an emulator, on a one-thread NIO event loop of its own that closes
   * with it. On gRPC's shared loop, a thread would still sit in {@code epoll_wait} (native code)
   * for a second after the channel closed, and HotSpot's exit waits up to 300 ms for every thread
   * in native code: each {@code eventflow publish} to the local broker paid that at exit (the same
   * as {@code series}, docs/BENCHMARKS.md, "CLI start"). One connection uses one loop thread
   * anyway.
   */
  static final class EmulatorChannel {
    /** The name of the loop's thread. */
    static final String THREAD_NAME = "eventflow-publisher-grpc";

    final ManagedChannel channel;
    private final EventLoopGroup loop;
    private final List<Thread> loopThreads = new CopyOnWriteArrayList<>();

    EmulatorChannel(String host) {
      loop =
          new NioEventLoopGroup(
              1,
              new DefaultThreadFactory(THREAD_NAME, true) {
                @Override
                protected Thread newThread(Runnable task, String name) {
                  Thread thread = super.newThread(task, name);
                  loopThreads.add(thread);
                  return thread;
                }
              });
      try {
        channel =
            NettyChannelBuilder.forTarget(host)
                .usePlaintext()
                .eventLoopGroup(loop)
                .channelType(NioSocketChannel.class)
                .intercept(PublishRequestMarshaller.interceptor())
                .build();
      } catch (RuntimeException e) {
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        throw e;
      }
    }

    void close() {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // No quiet period: the channel is closed and nothing else runs on this loop.
      loop.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
      // The loop reports its termination from its thread before that thread ends: wait for the
      // end too, so close returns with no thread of it left (what the JVM's exit would wait for).
      try {
        for (Thread thread : loopThreads) {
          thread.join(TimeUnit.SECONDS.toMillis(5));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Counts events handed to the client and not yet answered, so flush and close can wait. */
  private static final class Outstanding {
    private long count;

    synchronized void add(long events) {
      count += events;
      if (count == 0) {
        notifyAll();
      }
    }

    synchronized long count() {
      return count;
    }

    synchronized void awaitNone() throws InterruptedException {
      while (count > 0) {
        wait();
      }
    }

    synchronized boolean awaitNone(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (count > 0) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, remaining);
      }
      return true;
    }
  }

  /**
   * Configures an {@link EventPublisher}. Every setting has a default; only the topic (and, for a
   * bare topic id, a project) is required.
   */
  public static final class Builder {
    private final String topic;
    // project, emulatorHost, credentials, endpoint and ids are null until set.
    private String project;
    private String emulatorHost;
    private CredentialsProvider credentials;
    private String endpoint;
    private Function<String, String> environment = System::getenv;
    private long batchEvents = DEFAULT_BATCH_EVENTS;
    private long batchBytes = DEFAULT_BATCH_BYTES;
    private Duration batchDelay = DEFAULT_BATCH_DELAY;
    private long maxOutstandingEvents = DEFAULT_MAX_OUTSTANDING_EVENTS;
    private long maxOutstandingBytes = DEFAULT_MAX_OUTSTANDING_BYTES;
    private LimitExceededBehavior limitExceededBehavior = LimitExceededBehavior.Block;
    private boolean compression;
    private long compressionThresholdBytes = DEFAULT_COMPRESSION_THRESHOLD_BYTES;
    private Duration publishTimeout = DEFAULT_PUBLISH_TIMEOUT;
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
    private ContentType contentType = ContentType.PROTOBUF;
    private Clock clock = Clock.systemUTC();
    private IdGenerator ids;
    private String defaultSource = "";
    private ValidationLimits limits = ValidationLimits.DEFAULTS;

    private Builder(String topic) {
      this.topic = Objects.requireNonNull(topic, "topic");
    }

    /** Sets the project of a bare topic id; default: the {@code GOOGLE_CLOUD_PROJECT} variable. */
    public Builder project(String project) {
      this.project = project;
      return this;
    }

    /**
     * Publishes to an emulator (or the eventflow broker) at {@code host:port} over plaintext gRPC
     * without credentials. Default: the {@code PUBSUB_EMULATOR_HOST} variable; when neither is set,
     * real Pub/Sub.
     */
    public Builder emulatorHost(String hostAndPort) {
      this.emulatorHost = hostAndPort;
      return this;
    }

    /**
     * Sets the credentials for real Pub/Sub. Default: Application Default Credentials. Ignored when
     * publishing to an emulator.
     */
    public Builder credentials(CredentialsProvider credentials) {
      this.credentials = credentials;
      return this;
    }

    /**
     * Sets the Pub/Sub endpoint, e.g. a regional {@code us-east1-pubsub.googleapis.com:443}.
     * Default: the global endpoint. Ignored when publishing to an emulator.
     */
    public Builder endpoint(String endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /**
     * Sets where {@code PUBSUB_EMULATOR_HOST} and {@code GOOGLE_CLOUD_PROJECT} are looked up.
     * Default: the process environment; tests pass a map's {@code get}.
     */
    public Builder environment(Function<String, String> environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /**
     * Sets when a batch is sent: once it holds {@code maxEvents} events or {@code maxBytes} bytes,
     * or its first event has waited {@code maxDelay}. Defaults: 1,000 events, 1 MB, 10 ms.
     *
     * @throws IllegalArgumentException if a bound is not positive or exceeds Pub/Sub's request
     *     limits of 1,000 messages and 10 MB
     */
    public Builder batching(long maxEvents, long maxBytes, Duration maxDelay) {
      if (maxEvents < 1 || maxEvents > Publisher.getApiMaxRequestElementCount()) {
        throw new IllegalArgumentException(
            "batch size must be 1 to "
                + Publisher.getApiMaxRequestElementCount()
                + " events (Pub/Sub's per-request limit), got "
                + maxEvents);
      }
      if (maxBytes < 1 || maxBytes > Publisher.getApiMaxRequestBytes()) {
        throw new IllegalArgumentException(
            "batch bytes must be 1 to "
                + Publisher.getApiMaxRequestBytes()
                + " (Pub/Sub's per-request limit), got "
                + maxBytes);
      }
      if (maxDelay.toMillis() < 1) {
        throw new IllegalArgumentException("batch delay must be at least 1 ms, got " + maxDelay);
      }
      this.batchEvents = maxEvents;
      this.batchBytes = maxBytes;
      this.batchDelay = maxDelay;
      return this;
    }

    /**
     * Bounds the events and bytes published but not yet confirmed, and what happens to a publish
     * beyond them: {@link LimitExceededBehavior#Block} (the default) makes {@code publish} wait;
     * {@link LimitExceededBehavior#ThrowException} fails its future at once with a {@code
     * FlowController.FlowControlException}. Defaults: 10,000 events, 64 MiB, block.
     *
     * @throws IllegalArgumentException if a bound is not positive, or the behaviour is {@code
     *     Ignore} (unbounded memory is what flow control exists to prevent)
     */
    public Builder flowControl(
        long maxOutstandingEvents, long maxOutstandingBytes, LimitExceededBehavior behavior) {
      if (maxOutstandingEvents < 1 || maxOutstandingBytes < 1) {
        throw new IllegalArgumentException("flow control limits must be positive");
      }
      if (behavior == LimitExceededBehavior.Ignore) {
        throw new IllegalArgumentException(
            "flow control behaviour must be Block or ThrowException");
      }
      this.maxOutstandingEvents = maxOutstandingEvents;
      this.maxOutstandingBytes = maxOutstandingBytes;
      this.limitExceededBehavior = behavior;
      return this;
    }

    /**
     * Gzips publish requests of at least {@code thresholdBytes} bytes. Off by default: compression
     * trades publisher CPU for network bytes, which pays off for large JSON batches, rarely for
     * small protobuf ones.
     */
    public Builder compression(boolean enabled, long thresholdBytes) {
      if (thresholdBytes < 0) {
        throw new IllegalArgumentException("compression threshold must not be negative");
      }
      this.compression = enabled;
      this.compressionThresholdBytes = thresholdBytes;
      return this;
    }

    /**
     * Sets how long a failing request is retried before its events' futures fail. Default: 600 s;
     * values under the client's minimum of 10 s are raised to it.
     */
    public Builder publishTimeout(Duration timeout) {
      this.publishTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Sets how long {@link EventPublisher#close()} waits for confirmations. Default: 30 s. */
    public Builder closeTimeout(Duration timeout) {
      this.closeTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Sets the payload encoding. Default: {@link ContentType#PROTOBUF}. */
    public Builder contentType(ContentType contentType) {
      this.contentType = Objects.requireNonNull(contentType, "contentType");
      return this;
    }

    /**
     * Sets the clock that stamps events without a timestamp and judges "too far in the future".
     * Default: the system UTC clock.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Sets the generator of ids for events without one. Default: UUIDv7 on the clock. */
    public Builder idGenerator(IdGenerator ids) {
      this.ids = Objects.requireNonNull(ids, "ids");
      return this;
    }

    /** Sets the source of events without one. Default: none, so such events are rejected. */
    public Builder defaultSource(String source) {
      this.defaultSource = Objects.requireNonNull(source, "source");
      return this;
    }

    /** Sets the limits events are validated against. Default: {@link ValidationLimits#DEFAULTS}. */
    public Builder validationLimits(ValidationLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Builds the publisher and its connection.
     *
     * @throws IllegalArgumentException if the topic is malformed or has no project
     * @throws IOException if the client cannot be created, e.g. no default credentials exist
     */
    public EventPublisher build() throws IOException {
      TopicName topicName = resolveTopic();
      String host = emulatorHost != null ? emulatorHost : environment.apply(EMULATOR_HOST_ENV);
      EmulatorChannel channel = null;
      if (host != null && !host.isBlank()) {
        channel = new EmulatorChannel(host.trim());
      }
      try {
        return new EventPublisher(this, topicName, channel);
      } catch (IOException | RuntimeException e) {
        if (channel != null) {
          channel.close();
        }
        throw e;
      }
    }

    private TopicName resolveTopic() {
      if (topic.startsWith("projects/")) {
        if (!TopicName.isParsableFrom(topic)) {
          throw new IllegalArgumentException(
              "topic " + topic + " is not of the form projects/PROJECT/topics/TOPIC");
        }
        TopicName parsed = TopicName.parse(topic);
        if (project != null && !project.equals(parsed.getProject())) {
          throw new IllegalArgumentException(
              "topic " + topic + " is in project " + parsed.getProject() + ", not " + project);
        }
        return parsed;
      }
      if (topic.isBlank() || topic.contains("/")) {
        throw new IllegalArgumentException(
            "topic must be a topic id or projects/PROJECT/topics/TOPIC, got \"" + topic + "\"");
      }
      String resolvedProject = project != null ? project : environment.apply(PROJECT_ENV);
      if (resolvedProject == null || resolvedProject.isBlank()) {
        throw new IllegalArgumentException(
            "no project for topic "
                + topic
                + ": set one, use projects/PROJECT/topics/TOPIC, or set "
                + PROJECT_ENV);
      }
      return TopicName.of(resolvedProject, topic);
    }
  }
}
