package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.spanner.MockSpannerServiceImpl.StatementResult;
import com.google.protobuf.ListValue;
import com.google.protobuf.Value;
import com.google.spanner.v1.CommitRequest;
import com.google.spanner.v1.Mutation;
import com.google.spanner.v1.TypeCode;
import io.eventflow.common.Entities;
import io.eventflow.common.pb.Entity;
import io.eventflow.testing.FreePort;
import io.eventflow.timeseries.srv.ServerFixture;
import io.eventflow.timeseries.store.spanner.MockSpannerServer;
import io.eventflow.timeseries.store.spanner.SpannerEntityStore;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eventflow entities load|get} against the real query server's {@code EntityService} on a
 * free loopback port, over the embedded store, as against a running {@code eventflow local}.
 */
class EntitiesCommandTest {
  private static final String ACME =
      "{\"kind\":\"customer\",\"key\":\"acme\",\"attributes\":{\"plan\":{\"stringValue\":\"gold\"}}}";
  private static final String GLOBEX =
      "{\"kind\":\"customer\",\"key\":\"globex\",\"attributes\":{\"plan\":{\"stringValue\":\"free\"},"
          + "\"seats\":{\"intValue\":\"12\"}}}";

  @TempDir Path directory;

  private ServerFixture server;

  @BeforeEach
  void startServer() throws Exception {
    server = ServerFixture.startOnLoopback(CliRunner.NOW);
  }

  @AfterEach
  void stopServer() throws Exception {
    server.close();
  }

  private Path file(String... lines) throws IOException {
    Path file = Files.createTempFile(directory, "entities", ".jsonl");
    Files.write(file, List.of(lines), StandardCharsets.UTF_8);
    return file;
  }

  private CliRunner.Result entities(String subcommand, String... args) {
    List<String> all =
        new ArrayList<>(List.of("entities", subcommand, "--server", server.target()));
    all.addAll(List.of(args));
    return new CliRunner().run(all.toArray(String[]::new));
  }

  @Test
  void loadUpsertsEveryGoodLineAndListsTheBadOnesWithTheirNumbers() throws Exception {
    Path file =
        file(
            ACME,
            "{\"kind\":\"customer\",\"key\":",
            "",
            GLOBEX,
            "{\"kind\":\"Customer\",\"key\":\"initech\"}",
            "{\"kind\":\"customer\",\"key\":\" \"}",
            "{\"kind\":\"customer\",\"key\":\"hooli\",\"attributes\":{\"plan name\":{\"stringValue\":\"x\"}}}");

    CliRunner.Result load = entities("load", "--file", file.toString());

    assertThat(load.exitCode()).isEqualTo(EventflowCommand.EXIT_REJECTED);
    assertThat(load.out())
        .startsWith(
            "loaded 2 entities into the query service at "
                + server.target()
                + "\nrejected 4 lines:\n  line 2: not an entity in proto3 JSON: ")
        .contains(
            "\n  line 5: kind \"Customer\": use 1 to 64 lower-case letters, digits, '_' or '-'\n"
                + "  line 6: key is empty or blank\n"
                + "  line 7: attribute name \"plan name\": use 1 to 128 ASCII letters, digits, '_'"
                + " or '-' (it becomes a column and Pub/Sub attribute name)\n");
    assertThat(load.err()).isEmpty();

    CliRunner.Result acme = entities("get", "customer", "acme");
    assertThat(acme.exitCode()).isZero();
    assertThat(acme.out()).isEqualTo(ACME + "\n");
    assertThat(entities("get", "customer", "globex").out()).isEqualTo(GLOBEX + "\n");
  }

  @Test
  void loadReplacesWholeEntitiesAndSendsManyLinesInBatches() throws Exception {
    assertThat(entities("load", "--file", file(GLOBEX).toString()).exitCode()).isZero();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      lines.add(
          "{\"kind\":\"customer\",\"key\":\"c-"
              + i
              + "\",\"attributes\":{\"plan\":{\"stringValue\":\"gold\"}}}");
    }
    // The last line replaces globex whole: its seats are gone.
    lines.add(
        "{\"kind\":\"customer\",\"key\":\"globex\",\"attributes\":{\"plan\":{\"stringValue\":\"gold\"}}}");

    CliRunner.Result load =
        entities("load", "--file", file(lines.toArray(String[]::new)).toString());

    assertThat(load.exitCode()).isZero();
    assertThat(load.out())
        .isEqualTo("loaded 2501 entities into the query service at " + server.target() + "\n");
    assertThat(entities("get", "customer", "c-2499").out())
        .isEqualTo(
            "{\"kind\":\"customer\",\"key\":\"c-2499\",\"attributes\":{\"plan\":{\"stringValue\":\"gold\"}}}\n");
    assertThat(entities("get", "customer", "globex").out())
        .isEqualTo(
            "{\"kind\":\"customer\",\"key\":\"globex\",\"attributes\":{\"plan\":{\"stringValue\":\"gold\"}}}\n");
  }

  @Test
  void loadReadsStandardInput() {
    CliRunner.Result load =
        new CliRunner()
            .stdin(ACME + "\n")
            .run("entities", "load", "--server", server.target(), "--file", "-");

    assertThat(load.exitCode()).isZero();
    assertThat(entities("get", "customer", "acme").out()).isEqualTo(ACME + "\n");
  }

  @Test
  void anUnknownEntityIsOneLineAndExitCodeFour() {
    CliRunner.Result get = entities("get", "customer", "nobody");

    assertThat(get.exitCode()).isEqualTo(EventflowCommand.EXIT_NOT_FOUND);
    assertThat(get.out()).isEmpty();
    assertThat(get.err())
        .isEqualTo("eventflow entities get: no customer entity with key \"nobody\"\n");
  }

  @Test
  void badArgumentsAreOneLineAndExitCodeTwo() throws Exception {
    assertUsage(
        entities("get", "Customer", "acme"),
        "kind \"Customer\": use 1 to 64 lower-case letters, digits, '_' or '-'");
    assertUsage(entities("get", "customer", " "), "key is empty or blank");
    assertUsage(entities("get", "customer"), "Missing required parameter: 'KEY'");
    assertUsage(entities("load"), "Missing required option: '--file=FILE'");
    assertUsage(
        new CliRunner().run("entities", "get", "--server", "nowhere", "customer", "acme"),
        "Invalid value for option '--server': expected HOST:PORT, got 'nowhere'");
    assertUsage(
        new CliRunner().run("entities", "get", "--spanner", "my-db", "customer", "acme"),
        "--spanner must be projects/PROJECT/instances/INSTANCE/databases/DATABASE, got 'my-db'");
    assertUsage(
        new CliRunner()
            .run(
                "entities",
                "get",
                "--server",
                server.target(),
                "--spanner",
                "projects/p/instances/i/databases/d",
                "customer",
                "acme"),
        "--server and --spanner are mutually exclusive");
    assertUsage(new CliRunner().run("entities"), "Missing subcommand: load or get");
  }

  private static void assertUsage(CliRunner.Result result, String firstLine) {
    assertThat(result.exitCode()).isEqualTo(EventflowCommand.EXIT_USAGE);
    assertThat(result.err()).startsWith(firstLine + "\n");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void aMissingFileAndAnUnreachableServerAreOneLineAndExitCodeOne() throws Exception {
    CliRunner.Result missing =
        entities("load", "--file", directory.resolve("absent.jsonl").toString());
    assertThat(missing.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(missing.err())
        .isEqualTo(
            "eventflow entities load: no such file: " + directory.resolve("absent.jsonl") + "\n");

    String target = InetAddress.getLoopbackAddress().getHostAddress() + ":" + FreePort.loopback();
    CliRunner.Result get =
        new CliRunner().run("entities", "get", "--server", target, "customer", "acme");
    assertThat(get.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(get.err())
        .isEqualTo(
            "eventflow entities get: UNAVAILABLE: cannot reach the query service at "
                + target
                + "\n");
    CliRunner.Result load =
        new CliRunner()
            .run("entities", "load", "--server", target, "--file", file(ACME).toString());
    assertThat(load.exitCode()).isEqualTo(EventflowCommand.EXIT_ERROR);
    assertThat(load.err())
        .isEqualTo(
            "eventflow entities load: 0 entities loaded before the failure below; loading again is"
                + " safe\neventflow entities load: UNAVAILABLE: cannot reach the query service at "
                + target
                + "\n");
  }

  @Test
  void withSpannerLoadAndGetUseTheDatabasesEntitiesTableDirectly() throws Exception {
    try (MockSpannerServer spanner = new MockSpannerServer()) {
      String database = MockSpannerServer.DATABASE.getName();
      CliRunner cli = new CliRunner().env("SPANNER_EMULATOR_HOST", spanner.hostAndPort());

      CliRunner.Result load =
          cli.run(
              "entities", "load", "--spanner", database, "--file", file(ACME, GLOBEX).toString());

      assertThat(load.exitCode()).isZero();
      assertThat(load.out())
          .isEqualTo("loaded 2 entities into Spanner database " + database + "\n");
      // Rows of one table and columns travel as one mutation with a row each.
      List<String> keys = new ArrayList<>();
      for (CommitRequest commit : spanner.mock.getRequestsOfType(CommitRequest.class)) {
        for (Mutation mutation : commit.getMutationsList()) {
          assertThat(mutation.getInsertOrUpdate().getTable()).isEqualTo("entities");
          for (ListValue row : mutation.getInsertOrUpdate().getValuesList()) {
            keys.add(row.getValues(1).getStringValue());
          }
        }
      }
      assertThat(keys).containsExactly("acme", "globex");

      answerRead(spanner, "acme", Entities.parse(ACME));
      answerRead(spanner, "nobody", null);

      CliRunner.Result get = cli.run("entities", "get", "--spanner", database, "customer", "acme");
      assertThat(get.exitCode()).isZero();
      assertThat(get.out()).isEqualTo(ACME + "\n");
      CliRunner.Result nobody =
          cli.run("entities", "get", "--spanner", database, "customer", "nobody");
      assertThat(nobody.exitCode()).isEqualTo(EventflowCommand.EXIT_NOT_FOUND);
      assertThat(nobody.err())
          .isEqualTo("eventflow entities get: no customer entity with key \"nobody\"\n");
    }
  }

  /** Has the mock answer the read of one customer key with the entity, or no row for null. */
  private static void answerRead(MockSpannerServer spanner, String key, Entity entity) {
    List<List<Value>> rows =
        entity == null
            ? List.of()
            : List.of(
                List.of(
                    MockSpannerServer.string(key),
                    MockSpannerServer.string(
                        Base64.getEncoder().encodeToString(entity.toByteArray()))));
    spanner.mock.putStatementResult(
        StatementResult.query(
            SpannerEntityStore.readStatement("customer", List.of(key)),
            MockSpannerServer.resultSet(
                List.of("entity_key", "entity"), List.of(TypeCode.STRING, TypeCode.BYTES), rows)));
  }
}
