package io.eventflow.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class BridgeConfigTest {
  @Test
  void brokerUriErrorsNeverShowAPassword() {
    // Before, each of these echoed the URI whole, password included.
    assertThatThrownBy(() -> BridgeConfig.builder("tcp://device:s3cret@mqtt host:1883"))
        .hasMessage("MQTT broker tcp://***@mqtt host:1883 is not a URI")
        .hasNoCause();
    assertThatThrownBy(() -> BridgeConfig.builder("http://device:s3cret@mqtt.example.com"))
        .hasMessage(
            "MQTT broker must be tcp://HOST:PORT or ssl://HOST:PORT, got"
                + " http://***@mqtt.example.com");
  }

  @Test
  void credentialsInTheBrokerUriAreRefusedInsteadOfIgnored() {
    assertThatThrownBy(() -> BridgeConfig.builder("ssl://device:s3cret@mqtt.example.com:8883"))
        .hasMessageStartingWith("MQTT broker ssl://***@mqtt.example.com:8883: credentials do not")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void aBrokerUriWithoutPortTakesTheSchemesDefault() {
    BridgeConfig config = BridgeConfig.builder("ssl://mqtt.example.com").build();
    assertThat(config.brokerUri()).isEqualTo("ssl://mqtt.example.com:8883");
  }

  @Test
  void aCloudMonitoringProjectExportsTheMetricsAsTheBridgesJob() {
    assertThat(
            MqttBridgeMain.fromEnvironment(
                    Map.of("EVENTFLOW_MQTT_BROKER", "tcp://mqtt.example.com:1883")::get)
                .cloudMonitoring())
        .isEmpty();
    BridgeConfig config =
        MqttBridgeMain.fromEnvironment(
            Map.of(
                    "EVENTFLOW_MQTT_BROKER", "tcp://mqtt.example.com:1883",
                    "EVENTFLOW_CLOUD_MONITORING_PROJECT", "my-project")
                ::get);
    assertThat(config.cloudMonitoring().orElseThrow().project()).isEqualTo("my-project");
    assertThat(config.cloudMonitoring().orElseThrow().job()).isEqualTo("eventflow-mqtt");
  }

  @Test
  void sessionsGetTheConfiguredClientIdThenNumberedOnes() {
    BridgeConfig one = BridgeConfig.builder("tcp://mqtt.example.com").clientId("bridge").build();
    assertThat(one.sessionClientIds()).containsExactly("bridge");

    BridgeConfig three =
        MqttBridgeMain.fromEnvironment(
            Map.of(
                    "EVENTFLOW_MQTT_BROKER", "tcp://mqtt.example.com:1883",
                    "EVENTFLOW_MQTT_CLIENT_ID", "bridge",
                    "EVENTFLOW_MQTT_SESSIONS", "3",
                    "EVENTFLOW_MQTT_TOPICS", "$share/ingest/devices/+/+/+")
                ::get);
    assertThat(three.sessions()).isEqualTo(3);
    assertThat(three.sessionClientIds()).containsExactly("bridge", "bridge-2", "bridge-3");
  }

  @Test
  void severalSessionsNeedSharedSubscriptions() {
    // Without $share each session would get, and bridge, every message.
    assertThatThrownBy(
            () ->
                BridgeConfig.builder("tcp://mqtt.example.com")
                    .sessions(2)
                    .filter("$share/ingest/devices/+/+/+")
                    .filter("eventflow/events")
                    .build())
        .hasMessageContaining("with 2 sessions every filter must be a shared subscription")
        .hasMessageContaining("$share/GROUP/eventflow/events");
    assertThatThrownBy(() -> BridgeConfig.builder("tcp://mqtt.example.com").sessions(0).build())
        .hasMessage("sessions must be 1-64, got 0");
  }
}
