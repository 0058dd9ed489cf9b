package io.eventflow.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.monitoring.v3.TimeSeries;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The settings read from the environment, and what a {@link ServiceMeters} publishes to a fake of
 * the Monitoring API on loopback: metric types, labels and the monitored resource.
 */
class CloudMonitoringTest {
  @Test
  void offWithoutAProject() {
    assertThat(CloudMonitoring.fromEnvironment(Map.<String, String>of()::get, "svc")).isEmpty();
    assertThat(
            CloudMonitoring.fromEnvironment(Map.of(CloudMonitoring.PROJECT_ENV, " ")::get, "svc"))
        .isEmpty();
    try (ServiceMeters meters = ServiceMeters.of(Optional.empty())) {
      assertThat(meters.exportsToCloudMonitoring()).isFalse();
    }
  }

  @Test
  void readsEveryVariable() {
    Map<String, String> env =
        Map.of(
            CloudMonitoring.PROJECT_ENV, "my-project",
            CloudMonitoring.LOCATION_ENV, "europe-west1",
            CloudMonitoring.STEP_ENV, "30",
            CloudMonitoring.ENDPOINT_ENV, "127.0.0.1:9999");
    CloudMonitoring settings =
        CloudMonitoring.fromEnvironment(env::get, "eventflow-collector").orElseThrow();
    assertThat(settings.project()).isEqualTo("my-project");
    assertThat(settings.location()).isEqualTo("europe-west1");
    assertThat(settings.job()).isEqualTo("eventflow-collector");
    assertThat(settings.step()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.endpoint()).contains("127.0.0.1:9999");
    // Each process writes its own time series: two instances of a service never share a task id.
    assertThat(
            CloudMonitoring.fromEnvironment(env::get, "eventflow-collector").orElseThrow().taskId())
        .isNotEqualTo(settings.taskId());

    CloudMonitoring defaults =
        CloudMonitoring.fromEnvironment(
                Map.of(CloudMonitoring.PROJECT_ENV, "example.com:analytics")::get, "svc")
            .orElseThrow();
    assertThat(defaults.location()).isEqualTo("global");
    assertThat(defaults.step()).isEqualTo(Duration.ofMinutes(1));
    assertThat(defaults.endpoint()).isEmpty();
  }

  @Test
  void badValuesNameTheVariable() {
    assertThatThrownBy(
            () ->
                CloudMonitoring.fromEnvironment(
                    Map.of(CloudMonitoring.PROJECT_ENV, "My Project")::get, "svc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "EVENTFLOW_CLOUD_MONITORING_PROJECT: \"My Project\" is not a GCP project id such as"
                + " my-project");
    assertThatThrownBy(
            () ->
                CloudMonitoring.fromEnvironment(
                    Map.of(CloudMonitoring.PROJECT_ENV, "my-project", CloudMonitoring.STEP_ENV, "5")
                        ::get,
                    "svc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("EVENTFLOW_CLOUD_MONITORING_STEP_SECONDS: 5 s is too short");
    assertThatThrownBy(
            () ->
                CloudMonitoring.fromEnvironment(
                    Map.of(
                            CloudMonitoring.PROJECT_ENV,
                            "my-project",
                            CloudMonitoring.STEP_ENV,
                            "a minute")
                        ::get,
                    "svc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("EVENTFLOW_CLOUD_MONITORING_STEP_SECONDS must be an integer");
  }

  @Test
  void publishesEveryMeterAsACustomMetricOfTheServicesTask() throws Exception {
    try (FakeMonitoringApi api = FakeMonitoringApi.start()) {
      CloudMonitoring settings =
          new CloudMonitoring(
              "demo-project",
              "us-central1",
              "eventflow-test",
              "task-1",
              Duration.ofMinutes(1),
              Optional.of(api.endpoint()));
      try (ServiceMeters meters = ServiceMeters.of(Optional.of(settings))) {
        assertThat(meters.exportsToCloudMonitoring()).isTrue();
        Counter accepted =
            Counter.builder("eventflow.test.events.accepted")
                .tag("http.status", "200")
                .register(meters.registry());
        Timer latency =
            Timer.builder("eventflow.test.latency")
                .publishPercentiles(0.5, 0.99)
                .register(meters.registry());
        accepted.increment(3);
        latency.record(Duration.ofMillis(40));
        // The same meters are scraped locally.
        assertThat(meters.prometheus().scrape())
            .contains("eventflow_test_events_accepted_total{http_status=\"200\"} 3.0");
      }

      Map<String, TimeSeries> byType = new TreeMap<>();
      api.timeSeries().forEach(ts -> byType.put(ts.getMetric().getType(), ts));
      assertThat(byType.keySet())
          .contains(
              CloudMonitoring.metricType("eventflow.test.events.accepted"),
              CloudMonitoring.metricType("eventflow.test.latency"),
              CloudMonitoring.metricType("eventflow.test.latency") + "/count",
              CloudMonitoring.metricType("eventflow.test.latency") + "/max",
              CloudMonitoring.metricType("eventflow.test.latency") + "/p50",
              CloudMonitoring.metricType("eventflow.test.latency") + "/p99");
      assertThat(CloudMonitoring.metricType("eventflow.test.latency"))
          .isEqualTo("custom.googleapis.com/eventflow/test/latency");

      TimeSeries counter = byType.get("custom.googleapis.com/eventflow/test/events/accepted");
      // Tag keys become labels with underscores; the point is the step's count.
      assertThat(counter.getMetric().getLabelsMap())
          .containsExactly(Map.entry("http_status", "200"));
      assertThat(counter.getPoints(0).getValue().getDoubleValue()).isEqualTo(3.0);
      assertThat(counter.getResource().getType()).isEqualTo("generic_task");
      assertThat(counter.getResource().getLabelsMap())
          .containsExactlyInAnyOrderEntriesOf(
              Map.of(
                  "project_id", "demo-project",
                  "location", "us-central1",
                  "namespace", "eventflow",
                  "job", "eventflow-test",
                  "task_id", "task-1"));
      // A timer is a distribution in milliseconds.
      TimeSeries timer = byType.get("custom.googleapis.com/eventflow/test/latency");
      assertThat(timer.getPoints(0).getValue().getDistributionValue().getMean()).isEqualTo(40.0);
      assertThat(api.requests()).allMatch(r -> r.getName().equals("projects/demo-project"));

      Set<String> described = new TreeSet<>();
      api.descriptors().forEach(d -> described.add(d.getType()));
      assertThat(described).containsAll(byType.keySet());
    }
  }
}
