package io.eventflow.mqtt;

import io.eventflow.common.Redaction;
import io.eventflow.metrics.CloudMonitoring;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What an {@link MqttBridge} runs with. Build one with {@link #builder(String)}; every setting but
 * the MQTT broker has a default, and {@link Builder#build()} rejects bad combinations with a
 * message naming the setting.
 *
 * @param host the MQTT broker's host
 * @param port the MQTT broker's port
 * @param tls whether to connect with TLS ({@code ssl://} or {@code mqtts://} URIs)
 * @param caCertificate PEM file of the CA that signed the broker's certificate, when it is not one
 *     the JVM trusts
 * @param mqttVersion 3 (MQTT 3.1.1) or 5
 * @param clientId the MQTT client id; stable across restarts, so the broker keeps the session
 * @param sessions how many MQTT sessions the bridge holds in one shared subscription group, each
 *     with its own client id ({@link #sessionClientIds()}) and in-flight window; above 1 every
 *     filter must be a shared subscription
 * @param username MQTT username, if the broker wants one
 * @param password MQTT password, if the broker wants one
 * @param filters the subscription filters, QoS 1 each ({@code $share/GROUP/FILTER} to share)
 * @param templates the topic templates, tried in order
 * @param sessionExpiry how long the broker keeps the session (and queues QoS 1 messages) while the
 *     bridge is away; MQTT 5 only, a 3.1.1 broker keeps a non-clean session by its own policy
 * @param receiveMaximum unacknowledged QoS 1 messages the broker may send at once (MQTT 5)
 * @param keepAlive the MQTT keep-alive
 * @param reconnectInitialDelay the first reconnect delay; it doubles (with jitter) up to the max
 * @param reconnectMaxDelay the longest reconnect delay
 * @param eventsTopic the Pub/Sub topic events go to (id or {@code projects/P/topics/T})
 * @param deadLetterTopic the Pub/Sub topic dead letters go to
 * @param project the Pub/Sub project for topic ids; empty: {@code GOOGLE_CLOUD_PROJECT}
 * @param emulatorHost a Pub/Sub emulator or eventflow broker {@code host:port}; empty: {@code
 *     PUBSUB_EMULATOR_HOST}, else real Pub/Sub
 * @param defaultSource the source of events whose payload and topic name none
 * @param maxOutstanding events and dead letters published but not yet confirmed, at most
 * @param publishBatchDelay the longest an event waits for its Pub/Sub batch to fill
 * @param publishTimeout how long a failing Pub/Sub publish is retried before the bridge reconnects
 *     to have the broker redeliver it
 * @param shutdownTimeout how long a graceful stop waits for in-flight messages
 * @param cloudMonitoring where the metrics are also published; empty: Prometheus ({@code /metrics})
 *     only
 */
public record BridgeConfig(
    String host,
    int port,
    boolean tls,
    Optional<Path> caCertificate,
    int mqttVersion,
    String clientId,
    int sessions,
    Optional<String> username,
    Optional<String> password,
    List<String> filters,
    List<TopicTemplate> templates,
    Duration sessionExpiry,
    int receiveMaximum,
    Duration keepAlive,
    Duration reconnectInitialDelay,
    Duration reconnectMaxDelay,
    String eventsTopic,
    String deadLetterTopic,
    Optional<String> project,
    Optional<String> emulatorHost,
    String defaultSource,
    long maxOutstanding,
    Duration publishBatchDelay,
    Duration publishTimeout,
    Duration shutdownTimeout,
    Optional<CloudMonitoring> cloudMonitoring) {

  /** The service's name in Cloud Monitoring (the {@code job} label of its metrics' resource). */
  public static final String MONITORING_JOB = "eventflow-mqtt";

  /** The default client id. Stable: a random id per start would orphan the broker's session. */
  public static final String DEFAULT_CLIENT_ID = "eventflow-mqtt-bridge";

  /** The default templates: raw device payloads, and ready-made events. */
  public static final List<String> DEFAULT_TEMPLATES =
      List.of("devices/{customer}/{source}/{type}", "eventflow/events");

  /**
   * One day: a bridge down over a night and a morning loses nothing, while a bridge retired without
   * cleanup leaves its queue on the broker for a day at most.
   */
  public static final Duration DEFAULT_SESSION_EXPIRY = Duration.ofDays(1);

  /**
   * 1,000 unacknowledged messages: at a 20 ms Pub/Sub round trip (a 10 ms batch plus the RPC) that
   * sustains 50,000 messages/s, while a stalled Pub/Sub holds at most 1,000 payloads (256 MiB at
   * the 256 KiB payload limit, 300 KB for typical 300-byte readings) in the bridge.
   */
  public static final int DEFAULT_RECEIVE_MAXIMUM = 1_000;

  /**
   * At most 64 sessions: each is a connection, a dispatch thread and up to a receive maximum of
   * unacknowledged payloads in memory, so a bound catches a typo before it costs 64,000 payloads.
   */
  public static final int MAX_SESSIONS = 64;

  /** The events topic of the local stack and of the terraform module. */
  public static final String DEFAULT_EVENTS_TOPIC = "events";

  /** Where dead letters go unless configured otherwise. */
  public static final String DEFAULT_DEAD_LETTER_TOPIC = "mqtt-dead-letters";

  /** Checks the values; {@link Builder#build()} is the usual way to get here. */
  public BridgeConfig {
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("MQTT broker port must be 1-65535, got " + port);
    }
    if (mqttVersion != 3 && mqttVersion != 5) {
      throw new IllegalArgumentException("MQTT version must be 3 (3.1.1) or 5, got " + mqttVersion);
    }
    if (clientId.isBlank()) {
      throw new IllegalArgumentException("client id must not be blank");
    }
    if (password.isPresent() && username.isEmpty()) {
      throw new IllegalArgumentException("a password needs a username");
    }
    filters = List.copyOf(filters);
    templates = List.copyOf(templates);
    if (templates.isEmpty()) {
      throw new IllegalArgumentException("at least one topic template is required");
    }
    if (filters.isEmpty()) {
      throw new IllegalArgumentException("at least one topic filter is required");
    }
    for (String filter : filters) {
      if (filter.startsWith("$share/") && mqttVersion != 5) {
        throw new IllegalArgumentException(
            "shared subscription " + filter + " needs MQTT 5 (--mqtt-version 5)");
      }
    }
    if (sessions < 1 || sessions > MAX_SESSIONS) {
      throw new IllegalArgumentException(
          "sessions must be 1-" + MAX_SESSIONS + ", got " + sessions);
    }
    if (sessions > 1) {
      for (String filter : filters) {
        if (!filter.startsWith("$share/")) {
          throw new IllegalArgumentException(
              "with "
                  + sessions
                  + " sessions every filter must be a shared subscription ($share/GROUP/"
                  + filter
                  + "), or each session would bridge every message");
        }
      }
    }
    if (receiveMaximum < 1 || receiveMaximum > 65_535) {
      throw new IllegalArgumentException(
          "receive maximum must be 1-65535 (MQTT 5 §3.1.2.11.3), got " + receiveMaximum);
    }
    if (sessionExpiry.isNegative() || sessionExpiry.toSeconds() > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("session expiry must be 0 to 2^32-1 seconds");
    }
    if (sessionExpiry.isZero()) {
      throw new IllegalArgumentException(
          "session expiry must be positive: with 0 the broker forgets unacknowledged messages"
              + " when the bridge disconnects");
    }
    if (keepAlive.toSeconds() < 1 || keepAlive.toSeconds() > 65_535) {
      throw new IllegalArgumentException("keep-alive must be 1-65535 s, got " + keepAlive);
    }
    if (reconnectInitialDelay.toMillis() < 1
        || reconnectMaxDelay.compareTo(reconnectInitialDelay) < 0) {
      throw new IllegalArgumentException(
          "reconnect delays must be positive, the maximum at least the initial one");
    }
    if (maxOutstanding < 1) {
      throw new IllegalArgumentException("max outstanding must be positive");
    }
  }

  /**
   * Returns the client ids of the bridge's sessions: the configured one, then {@code ID-2}, {@code
   * ID-3}… up to {@code sessions}. Derived, not random, so a restart resumes every session and its
   * unacknowledged messages; a bridge started with more sessions keeps the earlier ones.
   */
  public List<String> sessionClientIds() {
    List<String> ids = new ArrayList<>(sessions);
    ids.add(clientId);
    for (int i = 2; i <= sessions; i++) {
      ids.add(clientId + "-" + i);
    }
    return ids;
  }

  /** Returns the MQTT URI the bridge connects to, for logs and the startup line. */
  public String brokerUri() {
    return (tls ? "ssl://" : "tcp://") + host + ":" + port;
  }

  /**
   * Returns a builder for a bridge to the broker at {@code uri}: {@code tcp://HOST[:1883]}, {@code
   * mqtt://…}, {@code ssl://HOST[:8883]} or {@code mqtts://…}.
   *
   * @throws IllegalArgumentException if the URI is not one of those
   */
  public static Builder builder(String uri) {
    return new Builder(uri);
  }

  /** Collects the settings of a {@link BridgeConfig}. */
  public static final class Builder {
    private final String host;
    private int port;
    private final boolean tls;
    private Optional<Path> caCertificate = Optional.empty();
    private int mqttVersion = 5;
    private String clientId = DEFAULT_CLIENT_ID;
    private int sessions = 1;
    private Optional<String> username = Optional.empty();
    private Optional<String> password = Optional.empty();
    private final List<String> filters = new ArrayList<>();
    private final List<String> templates = new ArrayList<>();
    private Duration sessionExpiry = DEFAULT_SESSION_EXPIRY;
    private int receiveMaximum = DEFAULT_RECEIVE_MAXIMUM;
    private Duration keepAlive = Duration.ofSeconds(30);
    private Duration reconnectInitialDelay = Duration.ofSeconds(1);
    private Duration reconnectMaxDelay = Duration.ofMinutes(1);
    private String eventsTopic = DEFAULT_EVENTS_TOPIC;
    private String deadLetterTopic = DEFAULT_DEAD_LETTER_TOPIC;
    private Optional<String> project = Optional.empty();
    private Optional<String> emulatorHost = Optional.empty();
    private String defaultSource = "mqtt";
    private long maxOutstanding = 10_000;
    private Duration publishBatchDelay = Duration.ofMillis(10);
    private Duration publishTimeout = Duration.ofMinutes(10);
    private Duration shutdownTimeout = Duration.ofSeconds(30);
    private Optional<CloudMonitoring> cloudMonitoring = Optional.empty();

    private Builder(String uri) {
      // Errors show the URI with any user info masked: it may hold a password.
      String shown = Redaction.redactUrlText(uri);
      URI parsed;
      try {
        parsed = URI.create(uri);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("MQTT broker " + shown + " is not a URI");
      }
      String scheme = parsed.getScheme() == null ? "" : parsed.getScheme();
      switch (scheme) {
        case "tcp", "mqtt" -> tls = false;
        case "ssl", "mqtts" -> tls = true;
        default ->
            throw new IllegalArgumentException(
                "MQTT broker must be tcp://HOST:PORT or ssl://HOST:PORT, got " + shown);
      }
      if (parsed.getHost() == null) {
        throw new IllegalArgumentException("MQTT broker " + shown + " has no host");
      }
      if (parsed.getRawUserInfo() != null) {
        // The client would ignore them silently, and the URI is logged and shown at start.
        throw new IllegalArgumentException(
            "MQTT broker "
                + shown
                + ": credentials do not go in the URI; give a username and a password instead");
      }
      host = parsed.getHost();
      port = parsed.getPort() > 0 ? parsed.getPort() : (tls ? 8883 : 1883);
    }

    /** Sets the broker's port, e.g. one an embedded broker picked. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Trusts the CA in this PEM file for the broker's TLS certificate. */
    public Builder caCertificate(Path pem) {
      this.caCertificate = Optional.of(pem);
      return this;
    }

    /** Speaks MQTT 3 (3.1.1) or 5. Default: 5. */
    public Builder mqttVersion(int version) {
      this.mqttVersion = version;
      return this;
    }

    /** Sets the client id. Default: {@value #DEFAULT_CLIENT_ID}. */
    public Builder clientId(String id) {
      this.clientId = Objects.requireNonNull(id, "id");
      return this;
    }

    /**
     * Holds {@code sessions} MQTT sessions in one shared subscription group (every filter {@code
     * $share/GROUP/…}). Default: 1.
     */
    public Builder sessions(int sessions) {
      this.sessions = sessions;
      return this;
    }

    /** Authenticates with a username and, when not null, a password. */
    public Builder credentials(String username, String password) {
      this.username = Optional.of(username);
      this.password = Optional.ofNullable(password);
      return this;
    }

    /** Adds a subscription filter. Default: one per template, placeholders as {@code +}. */
    public Builder filter(String filter) {
      filters.add(filter);
      return this;
    }

    /** Adds a topic template. Default: {@link #DEFAULT_TEMPLATES}. */
    public Builder template(String template) {
      templates.add(template);
      return this;
    }

    /** Sets how long the broker keeps the session. Default: one day. */
    public Builder sessionExpiry(Duration expiry) {
      this.sessionExpiry = expiry;
      return this;
    }

    /** Sets the MQTT 5 receive maximum. Default: 1,000. */
    public Builder receiveMaximum(int maximum) {
      this.receiveMaximum = maximum;
      return this;
    }

    /** Sets the keep-alive. Default: 30 s. */
    public Builder keepAlive(Duration keepAlive) {
      this.keepAlive = keepAlive;
      return this;
    }

    /** Sets the reconnect backoff. Default: 1 s doubling to 1 min. */
    public Builder reconnectDelays(Duration initial, Duration max) {
      this.reconnectInitialDelay = initial;
      this.reconnectMaxDelay = max;
      return this;
    }

    /** Sets the Pub/Sub topics. Defaults: {@code events} and {@code mqtt-dead-letters}. */
    public Builder topics(String events, String deadLetters) {
      this.eventsTopic = events;
      this.deadLetterTopic = deadLetters;
      return this;
    }

    /** Sets the project of topic ids. */
    public Builder project(String project) {
      this.project = Optional.of(project);
      return this;
    }

    /** Publishes to an emulator or eventflow broker at {@code host:port}. */
    public Builder emulatorHost(String hostAndPort) {
      this.emulatorHost = Optional.of(hostAndPort);
      return this;
    }

    /** Sets the source of events that name none. Default: {@code mqtt}. */
    public Builder defaultSource(String source) {
      this.defaultSource = source;
      return this;
    }

    /** Bounds Pub/Sub publishes not yet confirmed. Default: 10,000. */
    public Builder maxOutstanding(long max) {
      this.maxOutstanding = max;
      return this;
    }

    /** Sets the Pub/Sub batch delay. Default: 10 ms. */
    public Builder publishBatchDelay(Duration delay) {
      this.publishBatchDelay = delay;
      return this;
    }

    /** Sets the Pub/Sub publish timeout. Default: 10 min. */
    public Builder publishTimeout(Duration timeout) {
      this.publishTimeout = timeout;
      return this;
    }

    /** Sets how long a graceful stop waits. Default: 30 s. */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = timeout;
      return this;
    }

    /** Also publishes the metrics to Cloud Monitoring, when present. Default: not. */
    public Builder cloudMonitoring(Optional<CloudMonitoring> cloudMonitoring) {
      this.cloudMonitoring = Objects.requireNonNull(cloudMonitoring, "cloudMonitoring");
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @throws IllegalArgumentException naming the first bad setting
     */
    public BridgeConfig build() {
      List<TopicTemplate> parsed = new ArrayList<>();
      for (String template : templates.isEmpty() ? DEFAULT_TEMPLATES : templates) {
        parsed.add(TopicTemplate.parse(template));
      }
      List<String> subscriptions = new ArrayList<>(filters);
      if (subscriptions.isEmpty()) {
        LinkedHashSet<String> derived = new LinkedHashSet<>();
        parsed.forEach(t -> derived.add(t.filter()));
        subscriptions.addAll(derived);
      }
      return new BridgeConfig(
          host,
          port,
          tls,
          caCertificate,
          mqttVersion,
          clientId,
          sessions,
          username,
          password,
          subscriptions,
          parsed,
          sessionExpiry,
          receiveMaximum,
          keepAlive,
          reconnectInitialDelay,
          reconnectMaxDelay,
          eventsTopic,
          deadLetterTopic,
          project,
          emulatorHost,
          defaultSource,
          maxOutstanding,
          publishBatchDelay,
          publishTimeout,
          shutdownTimeout,
          cloudMonitoring);
    }
  }
}
