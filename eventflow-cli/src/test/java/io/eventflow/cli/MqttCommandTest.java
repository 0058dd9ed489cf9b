package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.mqtt.BridgeConfig;
import io.eventflow.mqtt.TopicTemplate;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MqttCommandTest {
  private static BridgeConfig parse(Map<String, String> environment, String... args) {
    CliContext system = CliContext.system();
    MqttCommand command =
        new MqttCommand(
            new CliContext(
                environment::get,
                system.stdin(),
                system.clock(),
                system.ticker(),
                system.seeds(),
                hook -> () -> {}));
    new CommandLine(command).parseArgs(args);
    return command.config();
  }

  @Test
  void flagsBecomeTheBridgeConfiguration() {
    BridgeConfig config =
        parse(
            Map.of("EVENTFLOW_MQTT_PASSWORD", "s3cret", "PUBSUB_EMULATOR_HOST", "localhost:8085"),
            "--broker",
            "ssl://mqtt.example.com",
            "--template",
            "plant/{site}/{source}/{type}",
            "--topic",
            "$share/ingest/plant/+/+/+",
            "--username",
            "bridge",
            "--client-id",
            "bridge-1",
            "--sessions",
            "2",
            "--session-expiry",
            "12h",
            "--receive-maximum",
            "500",
            "--project",
            "p");
    assertThat(config.brokerUri()).isEqualTo("ssl://mqtt.example.com:8883");
    assertThat(config.templates())
        .containsExactly(TopicTemplate.parse("plant/{site}/{source}/{type}"));
    assertThat(config.filters()).containsExactly("$share/ingest/plant/+/+/+");
    assertThat(config.username()).contains("bridge");
    assertThat(config.password()).contains("s3cret");
    assertThat(config.clientId()).isEqualTo("bridge-1");
    assertThat(config.sessionClientIds()).containsExactly("bridge-1", "bridge-1-2");
    assertThat(config.sessionExpiry()).isEqualTo(Duration.ofHours(12));
    assertThat(config.receiveMaximum()).isEqualTo(500);
    assertThat(config.project()).contains("p");
    assertThat(config.emulatorHost()).contains("localhost:8085");
  }

  @Test
  void defaultsSubscribeToTheDefaultTemplates() {
    BridgeConfig config = parse(Map.of(), "--broker", "tcp://localhost:1883");
    assertThat(config.filters()).containsExactly("devices/+/+/+", "eventflow/events");
    assertThat(config.mqttVersion()).isEqualTo(5);
    assertThat(config.clientId()).isEqualTo(BridgeConfig.DEFAULT_CLIENT_ID);
    assertThat(config.sessions()).isEqualTo(1);
    assertThat(config.caCertificate()).isEqualTo(Optional.empty());
  }

  @Test
  void badFlagsGiveOneLineAndExitCode2() {
    CliRunner.Result badUri = new CliRunner().run("mqtt", "--broker", "http://x");
    assertThat(badUri.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(badUri.err()).contains("MQTT broker must be tcp://HOST:PORT or ssl://HOST:PORT");

    CliRunner.Result sharedOn3 =
        new CliRunner()
            .run("mqtt", "--broker", "tcp://x", "--mqtt-version", "3", "--topic", "$share/g/a/+");
    assertThat(sharedOn3.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(sharedOn3.err()).contains("needs MQTT 5");

    CliRunner.Result badTemplate =
        new CliRunner().run("mqtt", "--broker", "tcp://x", "--template", "a/+/{type}");
    assertThat(badTemplate.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(badTemplate.err()).contains("no MQTT wildcards");
  }
}
