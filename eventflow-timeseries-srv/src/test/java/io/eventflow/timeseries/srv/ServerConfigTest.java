package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.metrics.CloudMonitoring;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
  @Test
  void defaultsNeedOnlyTheStore() {
    ServerConfig config = ServerConfig.fromEnvironment(Map.of("EVENTFLOW_STORE", "jdbc:h2:mem:x"));
    assertThat(config).isEqualTo(ServerConfig.defaults("jdbc:h2:mem:x", 9090, 9464));
    assertThat(config.redisUrl()).isNull();
    assertThat(config.cacheMinAge()).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void aCloudMonitoringProjectExportsTheMetricsAsTheQueryServicesJob() {
    ServerConfig config =
        ServerConfig.fromEnvironment(
            Map.of(
                "EVENTFLOW_STORE", "jdbc:h2:mem:x",
                "EVENTFLOW_CLOUD_MONITORING_PROJECT", "my-project",
                "EVENTFLOW_CLOUD_MONITORING_STEP_SECONDS", "30"));
    CloudMonitoring monitoring = config.cloudMonitoring().orElseThrow();
    assertThat(monitoring.project()).isEqualTo("my-project");
    assertThat(monitoring.job()).isEqualTo("eventflow-timeseries-srv");
    assertThat(monitoring.step()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.toString()).contains("cloudMonitoring=my-project");
    // What the running server publishes: terraform/'s MonitoringConfigTest (against a fake API).
  }

  @Test
  void missingStoreSaysWhatToSet() {
    assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of()))
        .hasMessage(
            "EVENTFLOW_STORE is required: jdbc:h2:… or spanner:projects/P/instances/I/databases/D");
  }

  @Test
  void cloudRunPortIsTheFallbackGrpcPort() {
    assertThat(
            ServerConfig.fromEnvironment(Map.of("EVENTFLOW_STORE", "jdbc:h2:mem:x", "PORT", "8080"))
                .grpcPort())
        .isEqualTo(8080);
    assertThat(
            ServerConfig.fromEnvironment(
                    Map.of(
                        "EVENTFLOW_STORE", "jdbc:h2:mem:x",
                        "PORT", "8080",
                        "EVENTFLOW_GRPC_PORT", "7070"))
                .grpcPort())
        .isEqualTo(7070);
  }

  @Test
  void everySettingIsRead() {
    ServerConfig config =
        ServerConfig.fromEnvironment(
            Map.ofEntries(
                Map.entry("EVENTFLOW_STORE", "spanner:projects/p/instances/i/databases/d"),
                Map.entry("EVENTFLOW_METRICS_PORT", "none"),
                Map.entry("EVENTFLOW_REDIS_URL", "redis://10.0.0.3:6390"),
                Map.entry("EVENTFLOW_REDIS_TIMEOUT", "20ms"),
                Map.entry("EVENTFLOW_REDIS_BACKOFF", "1s"),
                Map.entry("EVENTFLOW_CACHE_MIN_AGE", "15m"),
                Map.entry("EVENTFLOW_CACHE_TTL", "PT2H"),
                Map.entry("EVENTFLOW_CACHE_L1_MB", "16"),
                Map.entry("EVENTFLOW_MAX_BUCKETS", "500"),
                Map.entry("EVENTFLOW_MAX_ROWS", "7000"),
                Map.entry("EVENTFLOW_QUERY_TIMEOUT", "5s"),
                Map.entry("EVENTFLOW_QUERY_THREADS", "4"),
                Map.entry("EVENTFLOW_QUERY_QUEUE", "8"),
                Map.entry("EVENTFLOW_METRICS_HOST", "127.0.0.1"),
                Map.entry("EVENTFLOW_REDIS_PASSWORD", "s3cret"),
                Map.entry("EVENTFLOW_REDIS_CA_CERT", "-----BEGIN CERTIFICATE-----"),
                Map.entry("EVENTFLOW_SPANNER_MAX_STALENESS", "0s"),
                Map.entry("EVENTFLOW_SHUTDOWN_GRACE", "25s")));
    assertThat(config)
        .isEqualTo(
            new ServerConfig(
                "spanner:projects/p/instances/i/databases/d",
                9090,
                -1,
                InetAddress.getLoopbackAddress(),
                URI.create("redis://10.0.0.3:6390"),
                "s3cret",
                "-----BEGIN CERTIFICATE-----",
                Duration.ofMillis(20),
                Duration.ofSeconds(1),
                Duration.ofMinutes(15),
                Duration.ofHours(2),
                16L * 1024 * 1024,
                500,
                new ServerConfig.QueryLimits(7000, Duration.ofSeconds(5), 4, 8),
                Duration.ZERO,
                Duration.ofSeconds(25),
                Optional.empty()));
  }

  @Test
  void badValuesNameTheVariable() {
    assertThatThrownBy(
            () ->
                ServerConfig.fromEnvironment(
                    Map.of("EVENTFLOW_STORE", "jdbc:h2:mem:x", "EVENTFLOW_CACHE_MIN_AGE", "soon")))
        .hasMessage(
            "EVENTFLOW_CACHE_MIN_AGE: \"soon\" is not a duration such as 50ms, 10s, 15m, 1h or"
                + " PT1H");
    assertThatThrownBy(
            () ->
                ServerConfig.fromEnvironment(
                    Map.of("EVENTFLOW_STORE", "jdbc:h2:mem:x", "EVENTFLOW_GRPC_PORT", "99999")))
        .hasMessage("EVENTFLOW_GRPC_PORT: \"99999\" is not a port (0 to 65535)");
    assertThatThrownBy(
            () ->
                ServerConfig.fromEnvironment(
                    Map.of("EVENTFLOW_STORE", "jdbc:h2:mem:x", "EVENTFLOW_REDIS_URL", "10.0.0.3")))
        .hasMessage("EVENTFLOW_REDIS_URL: \"10.0.0.3\" is not a redis://host:port URL");
    assertThatThrownBy(
            () ->
                ServerConfig.fromEnvironment(
                    Map.of("EVENTFLOW_STORE", "jdbc:h2:mem:x", "EVENTFLOW_METRICS_HOST", "host")))
        .hasMessage(
            "EVENTFLOW_METRICS_HOST: \"host\" is not an IP address such as 127.0.0.1 or 0.0.0.0");
    assertThatThrownBy(
            () ->
                ServerConfig.fromEnvironment(
                    Map.of("EVENTFLOW_STORE", "jdbc:h2:mem:x", "EVENTFLOW_MAX_BUCKETS", "0")))
        .hasMessage("EVENTFLOW_MAX_BUCKETS: \"0\" is not a positive whole number");
  }

  @Test
  void unknownStoreKindIsRejected() {
    assertThatThrownBy(
            () -> StoreUrls.open("mysql://x", Duration.ZERO, java.time.Clock.systemUTC()))
        .hasMessage(
            "EVENTFLOW_STORE: \"mysql://x\" is neither jdbc:h2:… nor"
                + " spanner:projects/P/instances/I/databases/D");
  }

  @Test
  void redisCredentialsNeverReachAMessageOrTheSettingsText() {
    // Before, the bad URL was echoed whole, password included, to stderr and the log.
    assertThatThrownBy(
            () ->
                ServerConfig.fromEnvironment(
                    Map.of(
                        "EVENTFLOW_STORE",
                        "jdbc:h2:mem:x",
                        "EVENTFLOW_REDIS_URL",
                        "redis://default:s3cret@10.0.0.3:63 79")))
        .hasMessage(
            "EVENTFLOW_REDIS_URL: \"redis://***@10.0.0.3:63 79\" is not a redis://host:port URL")
        .hasNoCause();
    ServerConfig config =
        ServerConfig.fromEnvironment(
            Map.of(
                "EVENTFLOW_STORE",
                "jdbc:h2:file:/x;USER=sa;PASSWORD=pw",
                "EVENTFLOW_REDIS_URL",
                "rediss://default:s3cret@10.0.0.3:6378",
                "EVENTFLOW_REDIS_PASSWORD",
                "auth-string"));
    assertThat(config.toString())
        .contains("redis://".replace("redis", "rediss") + "***@10.0.0.3:6378")
        .contains("PASSWORD=***")
        .doesNotContain("s3cret")
        .doesNotContain("auth-string")
        .doesNotContain("pw");
  }

  @Test
  void redisUrlNamesTheSettingAndMasksCredentials() {
    assertThat(ServerConfig.redisUrl("--redis-url", "rediss://u:p@h:6378/2"))
        .isEqualTo(URI.create("rediss://u:p@h:6378/2"));
    assertThat(ServerConfig.redisUrl("--redis-url", " ")).isNull();
    for (String bad :
        new String[] {"http://u:s3cret@h:1", "redis://u:s3cret@h:1/zero", "redis://u:s3cret@"}) {
      assertThatThrownBy(() -> ServerConfig.redisUrl("--redis-url", bad))
          .hasMessageStartingWith("--redis-url: \"")
          .hasMessageContaining("***@")
          .hasMessageNotContaining("s3cret");
    }
  }
}
