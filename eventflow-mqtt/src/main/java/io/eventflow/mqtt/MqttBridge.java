package io.eventflow.mqtt;

import static com.google.common.util.concurrent.MoreExecutors.directExecutor;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.FlowController.LimitExceededBehavior;
import com.google.pubsub.v1.TopicName;
import io.eventflow.common.EventValidator;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.metrics.ServiceMeters;
import io.eventflow.publisher.EventPublisher;
import io.eventflow.publisher.InvalidEventException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MQTT ingestion bridge: takes QoS 1 messages from an MQTT broker, maps each to an eventflow
 * event ({@link EventMapper}), publishes it to the events topic through {@link EventPublisher} (or
 * its dead letter to the dead-letter topic), and acknowledges the MQTT message only once Pub/Sub
 * confirmed, in the order the messages arrived ({@link InOrderAcks}).
 *
 * <p>Nothing is lost: an unacknowledged message stays in the broker's persistent session and is
 * redelivered after a crash, a restart or a reconnect; a redelivered message gets the same event id
 * (its own or {@link DeterministicIds}'), so ingest counts it once. Nothing fills memory: at most
 * {@code receiveMaximum} messages per session (MQTT 5; the broker's in-flight window for 3.1.1) are
 * unacknowledged and at most {@code maxOutstanding} publishes unconfirmed, so a slow Pub/Sub slows
 * the broker's deliveries instead.
 *
 * <p>With {@code sessions} above 1 the bridge holds that many MQTT sessions in one shared
 * subscription group, each with its own stable client id ({@link BridgeConfig#sessionClientIds()}),
 * its own in-flight window, dispatch thread and in-order acknowledgements, so one process takes
 * several windows' worth of messages at a time; a restart resumes every session.
 */
public final class MqttBridge implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(MqttBridge.class);

  private final BridgeConfig config;
  private final ServiceMeters meters;
  private final BridgeMetrics metrics;
  private final EventMapper mapper;
  private final EventPublisher events;
  private final DeadLetterPublisher deadLetters;
  private final List<Session> sessions = new ArrayList<>();

  private final AtomicBoolean stopping = new AtomicBoolean();

  private MqttBridge(BridgeConfig config, Clock clock) throws IOException {
    this.config = config;
    this.mapper =
        new EventMapper(
            config.templates(),
            new EventValidator(ValidationLimits.DEFAULTS, clock),
            config.defaultSource());
    EventPublisher.Builder publisher =
        EventPublisher.newBuilder(config.eventsTopic())
            .batching(
                EventPublisher.DEFAULT_BATCH_EVENTS,
                EventPublisher.DEFAULT_BATCH_BYTES,
                config.publishBatchDelay())
            // Block: when Pub/Sub lags, the dispatch thread waits, the bridge stops acking and
            // the broker stops sending once receiveMaximum messages are unacknowledged.
            .flowControl(
                config.maxOutstanding(),
                EventPublisher.DEFAULT_MAX_OUTSTANDING_BYTES,
                LimitExceededBehavior.Block)
            .publishTimeout(config.publishTimeout())
            .clock(clock);
    config.project().ifPresent(publisher::project);
    config.emulatorHost().ifPresent(publisher::emulatorHost);
    this.events = publisher.build();
    TopicName deadLetterTopic = resolve(config.deadLetterTopic(), events.topic().getProject());
    try {
      this.deadLetters =
          new DeadLetterPublisher(
              deadLetterTopic,
              config.emulatorHost().or(() -> emulatorFromEnvironment()),
              config.maxOutstanding());
    } catch (IOException | RuntimeException e) {
      events.close();
      throw e;
    }
    // Prometheus for /metrics; Cloud Monitoring too when configured (eventflow-metrics). Created
    // once the publishers exist, so a failed start leaves no publishing thread behind.
    this.meters = ServiceMeters.of(config.cloudMonitoring());
    this.metrics = new BridgeMetrics(meters.registry(), this::inFlight, this::isReady);
    for (String clientId : config.sessionClientIds()) {
      sessions.add(new Session(clientId, clock));
    }
  }

  private static java.util.Optional<String> emulatorFromEnvironment() {
    String host = System.getenv(EventPublisher.EMULATOR_HOST_ENV);
    return host == null || host.isBlank()
        ? java.util.Optional.empty()
        : java.util.Optional.of(host.trim());
  }

  private static TopicName resolve(String topic, String project) {
    if (topic.startsWith("projects/")) {
      if (!TopicName.isParsableFrom(topic)) {
        throw new IllegalArgumentException(
            "dead-letter topic " + topic + " is not of the form projects/PROJECT/topics/TOPIC");
      }
      return TopicName.parse(topic);
    }
    return TopicName.of(project, topic);
  }

  /**
   * Starts a bridge: creates the Pub/Sub publishers and connects every MQTT session to the broker.
   * Returns at once; {@link #isReady()} turns true once all are connected and subscribed. A broker
   * that is down is retried with backoff.
   *
   * @throws IOException if a Pub/Sub client cannot be created or the CA file cannot be read
   * @throws IllegalArgumentException if a topic name or the configuration is invalid
   */
  public static MqttBridge start(BridgeConfig config, Clock clock) throws IOException {
    MqttBridge bridge = new MqttBridge(config, clock);
    logger.info(
        "bridging {} {} (MQTT {}, client id {}) to {}",
        config.brokerUri(),
        config.filters(),
        config.mqttVersion() == 5 ? "5" : "3.1.1",
        String.join(", ", config.sessionClientIds()),
        bridge.events.topic());
    for (Session session : bridge.sessions) {
      session
          .connection
          .connect()
          .whenComplete(
              (ack, error) -> {
                if (error != null) {
                  logger.warn(
                      "cannot connect {} to {} yet ({}); retrying with backoff",
                      session.clientId,
                      config.brokerUri(),
                      error.toString());
                }
              });
    }
    return bridge;
  }

  /**
   * Whether every session is connected and subscribed, and the bridge is not stopping: what {@code
   * /readyz} says.
   */
  public boolean isReady() {
    if (stopping.get()) {
      return false;
    }
    for (Session session : sessions) {
      if (!session.subscribed.get()) {
        return false;
      }
    }
    return true;
  }

  /** Returns how many messages were received and not yet acknowledged, over all sessions. */
  public int inFlight() {
    int inFlight = 0;
    for (Session session : sessions) {
      inFlight += session.acks.inFlight();
    }
    return inFlight;
  }

  /** Returns the Prometheus registry holding the bridge's metrics, for {@code /metrics}. */
  public PrometheusMeterRegistry registry() {
    return meters.prometheus();
  }

  /** Returns the configuration. */
  public BridgeConfig config() {
    return config;
  }

  /** A publish under way, and the dead letter's reason when it is one (null for an event). */
  private record Stored(ApiFuture<String> future, InvalidReason deadLetterReason) {}

  /** Publishes an event to the events topic, or a dead letter to its topic. */
  private Stored store(DeviceMessage message, Mapped mapped) {
    if (mapped instanceof Mapped.ToEvents toEvents) {
      try {
        return new Stored(events.publish(toEvents.event()), null);
      } catch (InvalidEventException e) {
        // The mapper validated the event; only its encoded size can still fail the publisher.
        mapped =
            EventMapper.deadLetter(
                message, e.violation().reason(), e.getMessage(), toEvents.event());
      }
    }
    var letter = ((Mapped.ToDeadLetters) mapped).deadLetter();
    return new Stored(deadLetters.publish(letter), letter.getReason());
  }

  /**
   * One MQTT session: its connection (client id, persistent session, dispatch thread), the
   * acknowledgements of its connection in arrival order, and its readiness.
   */
  private final class Session implements DeviceConnection.Listener {
    private final String clientId;
    private final InOrderAcks acks = new InOrderAcks(nanos -> metrics.acked(nanos));
    private final DeviceConnection connection;
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final AtomicBoolean reconnecting = new AtomicBoolean();
    private final AtomicLong connections = new AtomicLong();

    Session(String clientId, Clock clock) throws IOException {
      this.clientId = clientId;
      this.connection = new DeviceConnection(config, clientId, clock, this);
    }

    @Override
    public void message(DeviceMessage message, Runnable ack) {
      if (stopping.get()) {
        return; // not acknowledged: the broker redelivers it to the next session
      }
      metrics.received.increment();
      InOrderAcks.Pending pending = acks.add(ack, System.nanoTime());
      Stored stored = store(message, mapper.map(message));
      ApiFutures.addCallback(
          stored.future(),
          new ApiFutureCallback<String>() {
            @Override
            public void onSuccess(String id) {
              if (stored.deadLetterReason() == null) {
                metrics.published.increment();
              } else {
                metrics.deadLettered(stored.deadLetterReason());
              }
              // The durable step: Pub/Sub stored the event (or dead letter). Only now may the
              // message's PUBACK go out, after those of every earlier message of this session.
              acks.confirmed(pending, System.nanoTime());
            }

            @Override
            public void onFailure(Throwable t) {
              publishFailed(t);
            }
          },
          directExecutor());
    }

    /**
     * Nothing more has arrived: send the batches now rather than after the batch delay. The broker
     * sends no more than its window before it gets PUBACKs, and they wait for these publishes, so
     * waiting for a fuller batch would only add the delay to every message's round trip (measured
     * with Moquette's window of 10: about 13 ms a round trip with the 10 ms delay,
     * docs/BENCHMARKS.md).
     */
    @Override
    public void drained() {
      events.sendBuffered();
      deadLetters.sendBuffered();
    }

    @Override
    public void subscribed() {
      if (connections.incrementAndGet() > 1) {
        metrics.reconnects.increment();
      }
      subscribed.set(true);
      reconnecting.set(false);
      logger.info(
          "{} connected to {} and subscribed to {}",
          clientId,
          config.brokerUri(),
          config.filters());
    }

    @Override
    public void refused(String why) {
      // Stay connected (the granted filters keep flowing) but unready: an operator must look.
      subscribed.set(false);
    }

    @Override
    public void lost(Throwable cause) {
      subscribed.set(false);
      int dropped = acks.reset();
      if (dropped > 0) {
        logger.info(
            "{} unacknowledged message(s) of {} will be redelivered by the broker on reconnect",
            dropped,
            clientId);
      }
    }

    /**
     * A publish failed after the publish timeout's retries: the message must come again. MQTT
     * redelivers only on a new connection, so the session reconnects (once, however many publishes
     * failed together); the persistent session resends everything not acknowledged.
     */
    private void publishFailed(Throwable t) {
      metrics.publishFailures.increment();
      if (stopping.get() || !reconnecting.compareAndSet(false, true)) {
        return;
      }
      logger.warn(
          "a Pub/Sub publish failed ({}); reconnecting {} to {} to have unacknowledged messages"
              + " redelivered",
          t.toString(),
          clientId,
          config.brokerUri());
      subscribed.set(false);
      acks.reset();
      connection
          .reconnect()
          .whenComplete(
              (ok, error) -> {
                if (error != null) {
                  reconnecting.set(false);
                  logger.warn(
                      "reconnect failed ({}); the client retries with backoff", error.toString());
                }
              });
    }
  }

  /**
   * Stops gracefully: stops taking messages (later ones stay with the broker), waits up to the
   * shutdown timeout for the in-flight ones to be published and acknowledged, disconnects every
   * session (the broker keeps them) and closes the publishers.
   */
  @Override
  public void close() {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    Duration timeout = config.shutdownTimeout();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      for (Session session : sessions) {
        if (!session.acks.awaitEmpty(deadline)) {
          logger.warn(
              "{} message(s) of {} still unacknowledged after {}; the broker redelivers them",
              session.acks.inFlight(),
              session.clientId,
              timeout);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<CompletableFuture<Void>> disconnects = new ArrayList<>();
    for (Session session : sessions) {
      disconnects.add(session.connection.disconnect());
    }
    try {
      CompletableFuture.allOf(disconnects.toArray(CompletableFuture[]::new))
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      logger.debug("disconnect: {}", e.toString());
    }
    for (Session session : sessions) {
      session.subscribed.set(false);
      session.connection.stop();
    }
    try {
      events.close();
    } catch (IllegalStateException e) {
      logger.warn("{}", e.getMessage());
    }
    deadLetters.close();
    // Last, so the final values (the acknowledgements just drained included) reach Cloud
    // Monitoring.
    meters.close();
  }
}
