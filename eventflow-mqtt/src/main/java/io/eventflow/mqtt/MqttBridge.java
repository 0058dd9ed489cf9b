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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * {@code receiveMaximum} messages (MQTT 5; the broker's in-flight window for 3.1.1) are
 * unacknowledged and at most {@code maxOutstanding} publishes unconfirmed, so a slow Pub/Sub slows
 * the broker's deliveries instead.
 */
public final class MqttBridge implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(MqttBridge.class);

  private final BridgeConfig config;
  private final ServiceMeters meters;
  private final BridgeMetrics metrics;
  private final EventMapper mapper;
  private final InOrderAcks acks;
  private final EventPublisher events;
  private final DeadLetterPublisher deadLetters;
  private final ExecutorService dispatch;
  private final DeviceConnection connection;

  private final AtomicBoolean subscribed = new AtomicBoolean();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicBoolean reconnecting = new AtomicBoolean();
  private final AtomicLong connections = new AtomicLong();

  private MqttBridge(BridgeConfig config, Clock clock) throws IOException {
    this.config = config;
    this.acks = new InOrderAcks(nanos -> metrics().acked(nanos));
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
    this.metrics = new BridgeMetrics(meters.registry(), acks::inFlight, this::isReady);
    // One thread maps and publishes, in arrival order; it blocks only on publisher flow control.
    this.dispatch =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "eventflow-mqtt-dispatch");
              t.setDaemon(true);
              return t;
            });
    this.connection = new DeviceConnection(config, clock, new Listener(), dispatch);
  }

  private BridgeMetrics metrics() {
    return metrics;
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
   * Starts a bridge: creates the Pub/Sub publishers and connects to the MQTT broker. Returns at
   * once; {@link #isReady()} turns true once connected and subscribed. A broker that is down is
   * retried with backoff.
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
        config.clientId(),
        bridge.events.topic());
    bridge
        .connection
        .connect()
        .whenComplete(
            (ack, error) -> {
              if (error != null) {
                logger.warn(
                    "cannot connect to {} yet ({}); retrying with backoff",
                    config.brokerUri(),
                    error.toString());
              }
            });
    return bridge;
  }

  /**
   * Whether the bridge is connected and subscribed, and not stopping: what {@code /readyz} says.
   */
  public boolean isReady() {
    return subscribed.get() && !stopping.get();
  }

  /** Returns how many messages were received and not yet acknowledged. */
  public int inFlight() {
    return acks.inFlight();
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

  private final class Listener implements DeviceConnection.Listener {
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
              // message's PUBACK go out, after those of every earlier message.
              acks.confirmed(pending, System.nanoTime());
            }

            @Override
            public void onFailure(Throwable t) {
              publishFailed(t);
            }
          },
          directExecutor());
    }

    @Override
    public void subscribed() {
      if (connections.incrementAndGet() > 1) {
        metrics.reconnects.increment();
      }
      subscribed.set(true);
      reconnecting.set(false);
      logger.info("connected to {} and subscribed to {}", config.brokerUri(), config.filters());
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
            "{} unacknowledged message(s) will be redelivered by the broker on reconnect", dropped);
      }
    }
  }

  /**
   * A publish failed after the publish timeout's retries: the message must come again. MQTT
   * redelivers only on a new connection, so the bridge reconnects (once, however many publishes
   * failed together); the persistent session resends everything not acknowledged.
   */
  private void publishFailed(Throwable t) {
    metrics.publishFailures.increment();
    if (stopping.get() || !reconnecting.compareAndSet(false, true)) {
      return;
    }
    logger.warn(
        "a Pub/Sub publish failed ({}); reconnecting to {} to have unacknowledged messages"
            + " redelivered",
        t.toString(),
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

  /**
   * Stops gracefully: stops taking messages (later ones stay with the broker), waits up to the
   * shutdown timeout for the in-flight ones to be published and acknowledged, disconnects (the
   * broker keeps the session) and closes the publishers.
   */
  @Override
  public void close() {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    Duration timeout = config.shutdownTimeout();
    try {
      if (!acks.awaitEmpty(System.nanoTime() + timeout.toNanos())) {
        logger.warn(
            "{} message(s) still unacknowledged after {}; the broker redelivers them",
            acks.inFlight(),
            timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      connection.disconnect().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      logger.debug("disconnect: {}", e.toString());
    }
    subscribed.set(false);
    dispatch.shutdownNow();
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
