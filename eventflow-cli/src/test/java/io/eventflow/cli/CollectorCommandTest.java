package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.broker.BrokerFixture;
import io.eventflow.collector.ApiKeys;
import io.eventflow.collector.CollectorConfig;
import io.eventflow.collector.LocalCollector;
import io.eventflow.collector.Processor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code eventflow collector} and {@code eventflow processor echo}. */
class CollectorCommandTest {
  @TempDir Path dir;

  private static CliContext context(Map<String, String> environment) {
    CliContext system = CliContext.system();
    return new CliContext(
        environment::get,
        system.stdin(),
        system.clock(),
        system.ticker(),
        system.seeds(),
        hook -> () -> {});
  }

  @Test
  void flagsBecomeTheCollectorConfiguration() throws Exception {
    Path keys = dir.resolve("keys");
    Files.writeString(keys, ApiKeys.hash("secret-key-123") + " web\n");
    CollectorCommand command =
        new CollectorCommand(context(Map.of("PUBSUB_EMULATOR_HOST", "localhost:8085")));
    new CommandLine(command)
        .parseArgs(
            "--api-keys", keys.toString(),
            "--port", "9090",
            "--cors-origin", "https://shop.example",
            "--rate-per-key", "20",
            "--project", "p",
            "--call-timeout", "250ms");
    CollectorConfig config = command.config();
    assertThat(config.host()).isEqualTo("0.0.0.0");
    assertThat(config.port()).isEqualTo(9090);
    assertThat(config.apiKeysFile()).contains(keys);
    assertThat(config.corsOrigins()).isEqualTo(List.of("https://shop.example"));
    assertThat(config.ratePerKey()).isEqualTo(20);
    assertThat(config.emulatorHost()).contains("localhost:8085");
    assertThat(config.callTimeout()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void badFlagsAreOneLine() {
    CliRunner.Result open = new CliRunner().run("collector", "--host", "0.0.0.0", "--project", "p");
    assertThat(open.exitCode()).isEqualTo(2);
    assertThat(open.err()).contains("binds only to loopback");
    CliRunner.Result keys =
        new CliRunner().run("collector", "--api-keys", dir.resolve("none").toString());
    assertThat(keys.exitCode()).isEqualTo(2);
    assertThat(keys.err()).contains("is not readable");
  }

  @Test
  void hashKeyPrintsTheKeyFileLine() {
    CliRunner.Result result = new CliRunner().run("collector", "hash-key", "secret-key-123", "web");
    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo(ApiKeys.hash("secret-key-123") + " web\n");
    assertThat(ApiKeys.parse("out", List.of(result.out().strip())).sourceOf("secret-key-123"))
        .contains("web");
  }

  /** The echo processor answers calls of its --types with the event itself, and only those. */
  @Test
  void echoProcessorAnswersItsTypesWithTheEvent() throws Exception {
    try (BrokerFixture broker = BrokerFixture.start()) {
      broker.createTopicAndSubscription("events", "");
      try (LocalCollector collector =
          LocalCollector.start(
              "127.0.0.1", 0, broker.hostAndPort(), BrokerFixture.PROJECT_ID, "events")) {
        ProcessorCommand.Echo echo = new ProcessorCommand.Echo(context(Map.of()));
        new CommandLine(echo)
            .parseArgs("--collector", "127.0.0.1:" + collector.port(), "--types", "ping,pong");
        try (Processor processor = echo.processor().connect("127.0.0.1:" + collector.port())) {
          assertThat(processor.awaitRegistered(Duration.ofSeconds(30))).isTrue();
          HttpClient http = HttpClient.newHttpClient();
          HttpResponse<String> ping =
              http.send(
                  HttpRequest.newBuilder(URI.create(collector.url() + "/v1/call/ping"))
                      .header("Content-Type", "application/json")
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"id\":\"e-1\",\"attributes\":{\"n\":{\"intValue\":\"5\"}}}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(ping.statusCode()).isEqualTo(200);
          assertThat(ping.body())
              .contains("\"id\":\"e-1\"")
              .contains("\"type\":\"ping\"")
              .contains("\"source\":\"collector\"");
          HttpResponse<String> other =
              http.send(
                  HttpRequest.newBuilder(URI.create(collector.url() + "/v1/call/other"))
                      .header("Content-Type", "application/json")
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"attributes\":{\"n\":{\"intValue\":\"5\"}}}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(other.statusCode()).isEqualTo(404);
        }
      }
    }
  }
}
