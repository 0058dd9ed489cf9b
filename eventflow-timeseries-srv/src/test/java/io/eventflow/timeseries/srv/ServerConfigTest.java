package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
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
                Map.entry("EVENTFLOW_SPANNER_MAX_STALENESS", "0s"),
                Map.entry("EVENTFLOW_SHUTDOWN_GRACE", "25s")));
    assertThat(config)
        .isEqualTo(
            new ServerConfig(
                "spanner:projects/p/instances/i/databases/d",
                9090,
                -1,
                URI.create("redis://10.0.0.3:6390"),
                Duration.ofMillis(20),
                Duration.ofSeconds(1),
                Duration.ofMinutes(15),
                Duration.ofHours(2),
                16L * 1024 * 1024,
                500,
                Duration.ZERO,
                Duration.ofSeconds(25)));
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
}
