package io.eventflow.cli;

import io.eventflow.mqtt.BridgeConfig;
import io.eventflow.mqtt.BridgeHttpServer;
import io.eventflow.mqtt.MqttBridge;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow mqtt}: runs the MQTT ingestion bridge ({@link MqttBridge}) until Ctrl-C or
 * SIGTERM, which stop it gracefully.
 */
@Command(
    name = "mqtt",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Bridges an MQTT broker to the events topic: subscribes at QoS 1 with a persistent session,"
          + " turns each message into an event (see --template) and acknowledges it only after"
          + " Pub/Sub stored it, so a crash or a Pub/Sub outage loses nothing.",
      "Messages that are no valid event go to the dead-letter topic with their reason.",
    })
final class MqttCommand implements Callable<Integer> {
  /** The environment variable the MQTT password is read from, so it stays out of `ps`. */
  static final String PASSWORD_ENV = "EVENTFLOW_MQTT_PASSWORD";

  private final CliContext context;

  @Option(
      names = "--broker",
      required = true,
      paramLabel = "URI",
      description = "The MQTT broker: tcp://HOST[:1883] or ssl://HOST[:8883] (TLS).")
  String broker;

  @Option(
      names = "--topic",
      paramLabel = "FILTER",
      description =
          "Subscription filter, QoS 1; repeatable. $share/GROUP/FILTER shares the messages among"
              + " bridges (MQTT 5). Default: one per template, placeholders as +.")
  List<String> topics = new ArrayList<>();

  @Option(
      names = "--template",
      paramLabel = "TEMPLATE",
      description =
          "Topic template naming event fields per level, e.g. devices/{customer}/{source}/{type};"
              + " other {names} become attributes, {_} skips a level; repeatable, first match"
              + " wins. Default: devices/{customer}/{source}/{type} and eventflow/events (ready"
              + " events).")
  List<String> templates = new ArrayList<>();

  @Option(
      names = "--mqtt-version",
      paramLabel = "3|5",
      defaultValue = "5",
      description = "MQTT 5 or 3 (3.1.1). Default: 5.")
  int mqttVersion;

  @Option(
      names = "--client-id",
      paramLabel = "ID",
      defaultValue = BridgeConfig.DEFAULT_CLIENT_ID,
      description =
          "MQTT client id; keep it across restarts so the broker keeps the session. Default:"
              + " ${DEFAULT-VALUE}.")
  String clientId;

  @Option(
      names = "--sessions",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "MQTT sessions to hold in one shared subscription group (every --topic"
              + " $share/GROUP/FILTER), client ids ID, ID-2... Each has its own in-flight window."
              + " Default: 1.")
  int sessions;

  @Option(
      names = "--username",
      paramLabel = "USER",
      description = "MQTT username; the password comes from $" + PASSWORD_ENV + ".")
  String username;

  @Option(
      names = "--ca-file",
      paramLabel = "PEM",
      description = "CA certificate(s) to trust for the broker's TLS certificate.")
  Path caFile;

  @Option(
      names = "--session-expiry",
      paramLabel = "DURATION",
      defaultValue = "24h",
      converter = DurationConverter.class,
      description =
          "How long the broker keeps the session and queues messages while the bridge is away"
              + " (MQTT 5). Default: 24h.")
  Duration sessionExpiry;

  @Option(
      names = "--receive-maximum",
      paramLabel = "N",
      defaultValue = "1000",
      description = "Unacknowledged messages the broker may send at once (MQTT 5). Default: 1000.")
  int receiveMaximum;

  @Option(
      names = "--events-topic",
      paramLabel = "TOPIC",
      defaultValue = BridgeConfig.DEFAULT_EVENTS_TOPIC,
      description = "Pub/Sub topic of the events. Default: ${DEFAULT-VALUE}.")
  String eventsTopic;

  @Option(
      names = "--dead-letter-topic",
      paramLabel = "TOPIC",
      defaultValue = BridgeConfig.DEFAULT_DEAD_LETTER_TOPIC,
      description =
          "Pub/Sub topic of the dead letters (it needs a subscription to keep them). Default:"
              + " ${DEFAULT-VALUE}.")
  String deadLetterTopic;

  @Mixin PubSubTargetOptions pubsub;

  @Option(
      names = "--source",
      paramLabel = "SOURCE",
      defaultValue = "mqtt",
      description = "Source of events whose payload and topic name none. Default: mqtt.")
  String source;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "Port of /healthz, /readyz and /metrics (0 picks one). Default: 8080.")
  int httpPort;

  @Spec CommandSpec spec;

  MqttCommand(CliContext context) {
    this.context = context;
  }

  /** The bridge configuration these flags describe. */
  BridgeConfig config() {
    try {
      BridgeConfig.Builder builder =
          BridgeConfig.builder(broker)
              .mqttVersion(mqttVersion)
              .clientId(clientId)
              .sessions(sessions)
              .sessionExpiry(sessionExpiry)
              .receiveMaximum(receiveMaximum)
              .topics(eventsTopic, deadLetterTopic)
              .defaultSource(source);
      topics.forEach(builder::filter);
      templates.forEach(builder::template);
      if (username != null) {
        builder.credentials(username, context.environment().apply(PASSWORD_ENV));
      }
      if (caFile != null) {
        if (!Files.isReadable(caFile)) {
          throw new IllegalArgumentException("--ca-file " + caFile + " is not readable");
        }
        builder.caCertificate(caFile);
      }
      pubsub.project(context).ifPresent(builder::project);
      pubsub.emulatorHost(context).ifPresent(builder::emulatorHost);
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    BridgeConfig config = config();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    MqttBridge bridge;
    try {
      bridge = MqttBridge.start(config, context.clock());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    BridgeHttpServer http;
    try {
      http = BridgeHttpServer.start(bridge, "0.0.0.0", httpPort);
    } catch (IOException e) {
      bridge.close();
      err.println("eventflow mqtt: cannot serve HTTP on port " + httpPort + ": " + e.getMessage());
      err.flush();
      return EventflowCommand.EXIT_ERROR;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runnable unregister =
        context
            .shutdownHooks()
            .register(
                () -> {
                  err.println("eventflow mqtt: stopping: finishing in-flight messages");
                  err.flush();
                  bridge.close();
                  http.close();
                  err.println("eventflow mqtt: stopped");
                  err.flush();
                  stopped.countDown();
                });
    out.println(
        "eventflow mqtt: "
            + config.brokerUri()
            + " "
            + config.filters()
            + " -> "
            + config.eventsTopic()
            + " (dead letters: "
            + config.deadLetterTopic()
            + "); http://localhost:"
            + http.port()
            + "/readyz");
    out.flush();
    try {
      stopped.await();
    } finally {
      unregister.run();
    }
    return 0;
  }
}
