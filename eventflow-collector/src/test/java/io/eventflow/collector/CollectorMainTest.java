package io.eventflow.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.metrics.CloudMonitoring;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The container's configuration from environment variables. */
class CollectorMainTest {
  @Test
  void defaultsAreOpenOnLoopbackOnPort8080() {
    CollectorConfig config = CollectorMain.fromEnvironment(Map.<String, String>of()::get);
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.port()).isEqualTo(8080);
    assertThat(config.open()).isTrue();
    assertThat(config.maxEventBytes()).isEqualTo(256 * 1024);
    assertThat(config.maxRequestBytes()).isEqualTo(10_000_000);
    assertThat(config.callTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.publishBatchDelay()).isEqualTo(Duration.ofMillis(2));
    // Metrics stay on /metrics unless a Cloud Monitoring project is given.
    assertThat(config.cloudMonitoring()).isEmpty();
  }

  @Test
  void aCloudMonitoringProjectExportsTheMetricsAsTheCollectorsJob() {
    CollectorConfig config =
        CollectorMain.fromEnvironment(
            Map.of(
                    "EVENTFLOW_CLOUD_MONITORING_PROJECT", "my-project",
                    "EVENTFLOW_CLOUD_MONITORING_LOCATION", "europe-west1")
                ::get);
    CloudMonitoring monitoring = config.cloudMonitoring().orElseThrow();
    assertThat(monitoring.project()).isEqualTo("my-project");
    assertThat(monitoring.location()).isEqualTo("europe-west1");
    assertThat(monitoring.job()).isEqualTo("eventflow-collector");
    assertThatThrownBy(
            () ->
                CollectorMain.fromEnvironment(
                    Map.of("EVENTFLOW_CLOUD_MONITORING_PROJECT", "Not A Project")::get))
        .hasMessageStartingWith("EVENTFLOW_CLOUD_MONITORING_PROJECT: \"Not A Project\"");
  }

  @Test
  void keysBindEveryInterfaceAndTheRestIsRead() {
    CollectorConfig config =
        CollectorMain.fromEnvironment(
            Map.of(
                    "EVENTFLOW_COLLECTOR_API_KEYS", "/secrets/keys",
                    "PORT", "9000",
                    "EVENTFLOW_COLLECTOR_CORS_ORIGINS", "https://a.example, https://b.example",
                    "EVENTFLOW_COLLECTOR_RATE_PER_KEY", "50",
                    "GOOGLE_CLOUD_PROJECT", "proj",
                    "EVENTFLOW_COLLECTOR_ACCEPT_TIMEOUT_MS", "2500",
                    "EVENTFLOW_COLLECTOR_PUBLISH_BATCH_DELAY_MS", "10")
                ::get);
    assertThat(config.host()).isEqualTo("0.0.0.0");
    assertThat(config.port()).isEqualTo(9000);
    assertThat(config.apiKeysFile()).contains(Path.of("/secrets/keys"));
    assertThat(config.corsOrigins()).isEqualTo(List.of("https://a.example", "https://b.example"));
    assertThat(config.ratePerKey()).isEqualTo(50);
    assertThat(config.project()).contains("proj");
    assertThat(config.acceptTimeout()).isEqualTo(Duration.ofMillis(2500));
    assertThat(config.publishBatchDelay()).isEqualTo(Duration.ofMillis(10));
  }

  @Test
  void anOpenCollectorRefusesAPublicAddress() {
    assertThatThrownBy(
            () -> CollectorMain.fromEnvironment(Map.of("EVENTFLOW_COLLECTOR_HOST", "0.0.0.0")::get))
        .hasMessageContaining("binds only to loopback");
    assertThatThrownBy(() -> CollectorMain.fromEnvironment(Map.of("PORT", "http")::get))
        .hasMessage("PORT must be an integer, got \"http\"");
  }
}
