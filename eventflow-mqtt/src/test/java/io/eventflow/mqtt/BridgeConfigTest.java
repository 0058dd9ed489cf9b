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
}
