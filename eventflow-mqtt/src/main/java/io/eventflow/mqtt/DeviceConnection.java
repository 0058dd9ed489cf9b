package io.eventflow.mqtt;

import static com.google.common.util.concurrent.MoreExecutors.directExecutor;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.connect.Mqtt3ConnectBuilder;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscription;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscription;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MQTT session of the bridge through the HiveMQ MQTT client, for MQTT 3.1.1 and 5 alike: a
 * stable client id with a persistent session (clean start off, session expiry set), QoS 1
 * subscriptions renewed on every connection, manual acknowledgement, and the client's automatic
 * reconnect with exponential backoff and jitter.
 *
 * <p>Messages are handed to the listener on the session's own dispatch thread, one at a time in
 * arrival order, and the listener is told when that thread has taken every message that arrived
 * ({@link Listener#drained()}): the moment to send what waits in a Pub/Sub batch.
 */
final class DeviceConnection {
  private static final Logger logger = LoggerFactory.getLogger(DeviceConnection.class);

  /**
   * What the connection tells the bridge: messages on the session's dispatch thread, the rest on
   * the MQTT client's threads.
   */
  interface Listener {
    /** A message arrived; {@code ack} sends its PUBACK. Called on the dispatch thread. */
    void message(DeviceMessage message, Runnable ack);

    /**
     * Every message that arrived so far was handed to {@link #message}; more may come at any time.
     * Called on the dispatch thread.
     */
    void drained();

    /** Connected and every subscription granted at QoS 1. */
    void subscribed();

    /** The broker refused a subscription at QoS 1; {@code why} names the filter and code. */
    void refused(String why);

    /** The connection ended; its unacknowledged messages come again on the next one. */
    void lost(Throwable cause);
  }

  /** The MQTT clients' I/O threads, daemon threads shared by every session (see the builder). */
  private static final ExecutorService IO_THREADS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "eventflow-mqtt-io");
            t.setDaemon(true);
            return t;
          });

  private final BridgeConfig config;
  private final Clock clock;
  private final Listener listener;
  private final ThreadPoolExecutor dispatch;
  private final Mqtt5AsyncClient v5;
  private final Mqtt3AsyncClient v3;

  /**
   * @param clientId this session's client id: {@code config.clientId()} or one derived from it
   */
  DeviceConnection(BridgeConfig config, String clientId, Clock clock, Listener listener)
      throws IOException {
    this.config = config;
    this.clock = clock;
    this.listener = listener;
    // One thread maps and publishes this session's messages in arrival order; it blocks only on
    // publisher flow control. Its queue is unbounded in type but bounded by MQTT: the broker sends
    // at most the receive maximum (its in-flight window for 3.1.1) before a PUBACK, and the
    // bridge acknowledges only what this thread published and Pub/Sub confirmed.
    this.dispatch =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "eventflow-mqtt-dispatch-" + clientId);
              t.setDaemon(true);
              return t;
            });
    MqttClientBuilder builder =
        MqttClient.builder()
            .identifier(clientId)
            .serverHost(config.host())
            .serverPort(config.port())
            .automaticReconnect()
            .initialDelay(config.reconnectInitialDelay().toMillis(), TimeUnit.MILLISECONDS)
            .maxDelay(config.reconnectMaxDelay().toMillis(), TimeUnit.MILLISECONDS)
            .applyAutomaticReconnect()
            .addConnectedListener(context -> subscribe())
            .addDisconnectedListener(this::disconnected)
            // The client's I/O threads from a daemon pool: its flow of messages to a persistent
            // session never ends on its own and holds them, and its default threads (non-daemon)
            // kept a JVM whose main had returned from exiting (the benchmark driver).
            .executorConfig()
            .nettyExecutor(IO_THREADS)
            .applyExecutorConfig();
    if (config.tls()) {
      builder = builder.sslConfig(sslConfig(config.caCertificate()));
    }
    if (config.mqttVersion() == 5) {
      v5 = builder.useMqttVersion5().buildAsync();
      v3 = null;
      // ALL, not SUBSCRIBED: a persistent session delivers its queued messages right after
      // CONNACK, before this connection's SUBSCRIBE is answered. Manual acknowledgement: the
      // bridge sends each PUBACK itself, after Pub/Sub stored the message (InOrderAcks). A
      // direct executor: the callback runs on the client's I/O thread and only queues the message
      // for dispatch.
      v5.publishes(
          MqttGlobalPublishFilter.ALL, p -> dispatch(() -> received5(p)), directExecutor(), true);
    } else {
      v3 = builder.useMqttVersion3().buildAsync();
      v5 = null;
      v3.publishes(
          MqttGlobalPublishFilter.ALL, p -> dispatch(() -> received3(p)), directExecutor(), true);
    }
  }

  /**
   * Queues a received message for the dispatch thread, which hands it to the listener and, when
   * nothing else is queued behind it, says so: the executor's own queue is what tells (handing the
   * client this executor instead would batch deliveries inside RxJava, where nobody can see them).
   */
  private void dispatch(Runnable received) {
    try {
      dispatch.execute(
          () -> {
            received.run();
            if (dispatch.getQueue().isEmpty()) {
              listener.drained();
            }
          });
    } catch (RejectedExecutionException e) {
      // Stopping: not acknowledged, so the broker redelivers it to the session's next connection.
      logger.debug("message arrived while stopping; left to the broker");
    }
  }

  private static MqttClientSslConfig sslConfig(Optional<Path> ca) throws IOException {
    if (ca.isEmpty()) {
      return MqttClientSslConfig.builder().build(); // the JVM's trusted CAs
    }
    try (InputStream in = Files.newInputStream(ca.get())) {
      KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
      trusted.load(null, null);
      int i = 0;
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trusted.setCertificateEntry("ca-" + i++, certificate);
      }
      if (i == 0) {
        throw new IOException("no certificate in " + ca.get());
      }
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(trusted);
      return MqttClientSslConfig.builder().trustManagerFactory(trust).build();
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "cannot read the CA certificate " + ca.get() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Connects. The future completes with the first connection; if it fails, the client keeps
   * retrying with backoff on its own, so the caller may log the failure and carry on.
   */
  CompletableFuture<?> connect() {
    if (v5 != null) {
      Mqtt5ConnectBuilder.Send<
              CompletableFuture<com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck>>
          connect =
              v5.connectWith()
                  .cleanStart(false)
                  .sessionExpiryInterval(config.sessionExpiry().toSeconds())
                  .keepAlive((int) config.keepAlive().toSeconds())
                  .restrictions()
                  .receiveMaximum(config.receiveMaximum())
                  .applyRestrictions();
      if (config.username().isPresent()) {
        connect =
            connect
                .simpleAuth()
                .username(config.username().get())
                .password(config.password().orElse("").getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth();
      }
      return connect.send();
    }
    Mqtt3ConnectBuilder.Send<
            CompletableFuture<com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck>>
        connect =
            v3.connectWith().cleanSession(false).keepAlive((int) config.keepAlive().toSeconds());
    if (config.username().isPresent()) {
      connect =
          connect
              .simpleAuth()
              .username(config.username().get())
              .password(config.password().orElse("").getBytes(StandardCharsets.UTF_8))
              .applySimpleAuth();
    }
    return connect.send();
  }

  /** Subscribes every filter at QoS 1 on each (re)connection; idempotent on the broker. */
  private void subscribe() {
    if (v5 != null) {
      List<Mqtt5Subscription> subscriptions = new ArrayList<>();
      for (String filter : config.filters()) {
        subscriptions.add(
            Mqtt5Subscription.builder().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).build());
      }
      v5.subscribeWith()
          .addSubscriptions(subscriptions)
          .send()
          .whenComplete(
              (subAck, error) ->
                  granted(
                      error,
                      subAck == null ? List.of() : subAck.getReasonCodes(),
                      code ->
                          code == Mqtt5SubAckReasonCode.GRANTED_QOS_1
                              || code == Mqtt5SubAckReasonCode.GRANTED_QOS_2));
      return;
    }
    List<Mqtt3Subscription> subscriptions = new ArrayList<>();
    for (String filter : config.filters()) {
      subscriptions.add(
          Mqtt3Subscription.builder().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).build());
    }
    v3.subscribeWith()
        .addSubscriptions(subscriptions)
        .send()
        .whenComplete(
            (subAck, error) ->
                granted(
                    error,
                    subAck == null ? List.of() : subAck.getReturnCodes(),
                    code ->
                        code == Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_1
                            || code == Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_2));
  }

  /** Tells the listener whether the SUBACK granted every filter at least QoS 1. */
  private <C> void granted(Throwable error, List<C> codes, Predicate<C> atLeastQos1) {
    if (error != null) {
      refused(error.toString());
      return;
    }
    for (int i = 0; i < codes.size(); i++) {
      if (!atLeastQos1.test(codes.get(i))) {
        refused(config.filters().get(i) + ": " + codes.get(i));
        return;
      }
    }
    listener.subscribed();
  }

  /**
   * A subscription below QoS 1 would lose messages silently: the bridge stays unready and says why,
   * and the operator fixes the broker's ACL or limits.
   */
  private void refused(String why) {
    logger.error("the MQTT broker refused a QoS 1 subscription ({}); not ready", why);
    listener.refused(why);
  }

  private void disconnected(MqttClientDisconnectedContext context) {
    if (context.getSource() != MqttDisconnectSource.USER) {
      logger.warn(
          "MQTT connection to {} lost ({}); reconnecting with backoff",
          config.brokerUri(),
          context.getCause().toString());
    }
    listener.lost(context.getCause());
  }

  private void received5(Mqtt5Publish publish) {
    List<Map.Entry<String, String>> properties = new ArrayList<>();
    publish
        .getUserProperties()
        .asList()
        .forEach(p -> properties.add(Map.entry(p.getName().toString(), p.getValue().toString())));
    Optional<byte[]> correlation = publish.getCorrelationData().map(DeviceConnection::bytes);
    listener.message(
        new DeviceMessage(
            publish.getTopic().toString(),
            publish.getPayloadAsBytes(),
            properties,
            correlation,
            clock.instant()),
        publish::acknowledge);
  }

  private void received3(Mqtt3Publish publish) {
    listener.message(
        DeviceMessage.of(
            publish.getTopic().toString(), publish.getPayloadAsBytes(), clock.instant()),
        publish::acknowledge);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }

  /**
   * Disconnects and connects again, so that the broker redelivers every unacknowledged message of
   * the session. Used when a Pub/Sub publish failed for good: MQTT redelivers only on a new
   * connection (MQTT 5.0 §4.4).
   */
  CompletableFuture<?> reconnect() {
    return disconnect().handle((ignored, error) -> null).thenCompose(ignored -> connect());
  }

  /** Disconnects; the broker keeps the session (and queues messages) for the session expiry. */
  CompletableFuture<Void> disconnect() {
    return v5 != null ? v5.disconnect() : v3.disconnect();
  }

  /** Stops the dispatch thread; a message not yet handed on is left to the broker. */
  void stop() {
    dispatch.shutdownNow();
  }
}
