package io.eventflow.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventflow.timeseries.store.Schemas;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks that need the real {@code terraform} binary, which evaluates expressions exactly as {@code
 * apply} will: canonical formatting, the Spanner DDL split, variable validations, and the launch
 * commands printed as outputs. Skipped, with a message, where terraform is not installed. Nothing
 * here needs a provider or the network.
 */
class TerraformEvaluationTest {
  /** The project id the commands are evaluated for. */
  static final String PROJECT = "demo-project";

  @TempDir static Path sandbox;

  private static TerraformConfig config;
  private static TerraformCli terraform;

  @BeforeAll
  static void findTerraform() {
    Optional<TerraformCli> found = TerraformCli.find();
    assumeTrue(
        found.isPresent(),
        "terraform is not on the PATH: skipping fmt and console checks (install Terraform >= 1.5"
            + " to run them)");
    terraform = found.get();
    config = TerraformConfig.load(Path.of(""));
    TerraformCli.sandbox(config, sandbox, List.of("spanner.tf"));
  }

  @Test
  void filesAreCanonicallyFormatted() {
    TerraformCli.Result result =
        terraform.run(config.directory(), List.of("fmt", "-check", "-recursive", "-diff"), "");
    assertThat(result.exitCode()).as("terraform fmt -check -diff:\n%s", result.stdout()).isZero();
  }

  @Test
  void spannerDdlSplitsIntoTheStatementsTheStoreRuns() {
    JsonNode statements = evaluate(List.of(), "local.spanner_ddl");
    List<String> terraformStatements = new ArrayList<>();
    statements.forEach(s -> terraformStatements.add(s.asText()));
    assertThat(terraformStatements).isEqualTo(Schemas.spannerDdl());
  }

  @Test
  void defaultsSatisfyEveryVariableValidation() {
    // console checks every variable's validation; evaluate() fails on any reported problem.
    assertThat(evaluate(List.of(), "var.region").asText()).isEqualTo("us-central1");
    assertThat(evaluate(List.of(), "var.spanner_processing_units").asInt()).isEqualTo(100);
  }

  @Test
  void queryInvokersRefusePublicPrincipals() {
    for (String member : List.of("allUsers", "allAuthenticatedUsers")) {
      TerraformCli.Result result =
          terraform.run(
              sandbox,
              List.of(
                  "console",
                  "-var",
                  "project_id=" + PROJECT,
                  "-var",
                  "query_invokers=[\"user:analyst@example.com\",\"" + member + "\"]"),
              "var.query_invokers\n");
      // console prints a failed validation as an error (plan and apply stop on it).
      assertThat(result.stderr()).as(member).contains("The query service is not public");
    }
    assertThat(
            evaluate(
                    List.of("query_invokers=[\"group:dashboards@example.com\"]"),
                    "var.query_invokers")
                .get(0)
                .asText())
        .isEqualTo("group:dashboards@example.com");
  }

  @Test
  void spannerProcessingUnitsMustBeAValidSize() {
    for (String units : List.of("50", "150", "1500")) {
      TerraformCli.Result result =
          terraform.run(
              sandbox,
              List.of(
                  "console",
                  "-var",
                  "project_id=" + PROJECT,
                  "-var",
                  "spanner_processing_units=" + units),
              "var.spanner_processing_units\n");
      assertThat(result.stderr())
          .as(units)
          .contains("Spanner takes 100-900 processing units in steps of 100");
    }
    assertThat(
            evaluate(List.of("spanner_processing_units=2000"), "var.spanner_processing_units")
                .asInt())
        .isEqualTo(2000);
  }

  @Test
  void queryServiceStoreIsTheRollupsDatabase() {
    assertThat(evaluate(List.of(), "local.query_store_url").asText())
        .isEqualTo("spanner:projects/demo-project/instances/eventflow/databases/eventflow");
  }

  @Test
  void ingestCommandInstallsThenLaunchesTheJobWithTheTerraformNames() throws Exception {
    List<List<String>> invocations =
        mavenInvocations(evaluate(List.of(), "local.ingest_launch_command").asText());
    assertThat(invocations).hasSize(2);
    assertThat(invocations.get(0))
        .containsExactly("-B", "-pl", "eventflow-ingest", "-am", "install", "-DskipTests");
    List<String> exec = invocations.get(1);
    assertThat(exec.subList(0, 5))
        .containsExactly(
            "-B",
            "-pl",
            "eventflow-ingest",
            "exec:java",
            "-Dexec.mainClass=io.eventflow.ingest.IngestPipeline");
    List<String> args = execArgs(exec);
    assertThat(args).isEqualTo(strings(evaluate(List.of(), "local.ingest_args")));
    assertThat(args)
        .contains(
            "--runner=DataflowRunner",
            "--project=demo-project",
            "--region=us-central1",
            "--jobName=eventflow-ingest",
            "--serviceAccount=eventflow-ingest@demo-project.iam.gserviceaccount.com",
            "--stagingLocation=gs://demo-project-eventflow/staging",
            "--tempLocation=gs://demo-project-eventflow/temp",
            "--subnetwork=regions/us-central1/subnetworks/eventflow-us-central1",
            "--usePublicIps=false",
            "--inputSubscription=projects/demo-project/subscriptions/events-ingest",
            "--validatedTopic=projects/demo-project/topics/events-validated",
            "--bigQueryDataset=eventflow",
            "--bigQueryWriteMethod=STORAGE_WRITE_API",
            "--archiveLocation=gs://demo-project-eventflow/archive");
    assertNamesMatchResources();
  }

  @Test
  void rollupsCommandInstallsThenLaunchesTheJobWithTheTerraformNames() throws Exception {
    List<List<String>> invocations =
        mavenInvocations(
            evaluate(List.of("rollups=purchase:sum:amount_cents"), "local.rollups_launch_command")
                .asText());
    assertThat(invocations).hasSize(2);
    assertThat(invocations.get(0))
        .containsExactly(
            "-B", "-pl", "eventflow-timeseries-rollups", "-am", "install", "-DskipTests");
    List<String> exec = invocations.get(1);
    assertThat(exec.subList(0, 5))
        .containsExactly(
            "-B",
            "-pl",
            "eventflow-timeseries-rollups",
            "exec:java",
            "-Dexec.mainClass=io.eventflow.timeseries.rollups.RollupsPipeline");
    assertThat(execArgs(exec))
        .contains(
            "--runner=DataflowRunner",
            "--jobName=eventflow-rollups",
            "--serviceAccount=eventflow-rollups@demo-project.iam.gserviceaccount.com",
            "--subscription=projects/demo-project/subscriptions/events-validated-rollups",
            "--store=spanner",
            "--spannerInstance=eventflow",
            "--spannerDatabase=eventflow",
            // Undecodable messages become dead letters where ingest's go.
            "--bigQueryDataset=eventflow",
            "--bigQueryWriteMethod=STORAGE_WRITE_API",
            "--archiveLocation=gs://demo-project-eventflow/archive",
            "--rollups=purchase:sum:amount_cents");
    // Without custom rollups the flag is left out rather than passed empty.
    assertThat(strings(evaluate(List.of(), "local.rollups_args")))
        .noneMatch(a -> a.startsWith("--rollups"));
  }

  @Test
  void updateCommandsAddOnlyUpdate() throws Exception {
    for (String job : List.of("ingest", "rollups")) {
      List<String> launch =
          execArgs(
              mavenInvocations(evaluate(List.of(), "local." + job + "_launch_command").asText())
                  .get(1));
      List<String> update =
          execArgs(
              mavenInvocations(evaluate(List.of(), "local." + job + "_update_command").asText())
                  .get(1));
      List<String> expected = new ArrayList<>(launch);
      expected.add("--update");
      assertThat(update).as(job).isEqualTo(expected);
    }
  }

  @Test
  void domainScopedProjectsGetTheirServiceAccountDomain() {
    assertThat(evaluate(List.of(), "local.ingest_sa").asText())
        .isEqualTo("eventflow-ingest@demo-project.iam.gserviceaccount.com");
    assertThat(evaluate(List.of(), "local.ingest_sa", "example.com:analytics").asText())
        .isEqualTo("eventflow-ingest@analytics.example.com.iam.gserviceaccount.com");
  }

  @Test
  void readmeShowsExactlyTheCommandsTerraformPrints() throws Exception {
    // README.md's examples are for project my-project with two custom rollups.
    String readme = Files.readString(config.directory().resolve("README.md"));
    for (String job : List.of("ingest", "rollups")) {
      String command =
          evaluate(
                  List.of("rollups=purchase:sum:amount_cents,api_request:max:latency"),
                  "local." + job + "_launch_command",
                  "my-project")
              .asText()
              .stripTrailing();
      assertThat(readme).as(job).contains(command);
    }
  }

  /** The resources are named by the same locals the commands use. */
  private static void assertNamesMatchResources() {
    assertThat(config.resource("google_pubsub_subscription.ingest").get("name"))
        .isEqualTo("local.ingest_subscription");
    assertThat(config.resource("google_pubsub_subscription.rollups").get("name"))
        .isEqualTo("local.rollups_subscription");
    assertThat(config.resource("google_pubsub_topic.validated").get("name"))
        .isEqualTo("local.validated_topic");
    assertThat(config.resource("google_storage_bucket.main").get("name"))
        .isEqualTo("local.bucket_name");
    assertThat(config.resource("google_compute_subnetwork.main").get("name"))
        .isEqualTo("local.subnetwork_name");
    assertThat(config.resource("google_service_account.ingest").get("account_id"))
        .isEqualTo("local.ingest_sa_id");
    assertThat(config.resource("google_service_account.rollups").get("account_id"))
        .isEqualTo("local.rollups_sa_id");
    assertThat(config.resource("google_spanner_instance.main").get("name"))
        .isEqualTo("local.spanner_instance");
    assertThat(config.resource("google_bigquery_dataset.main").get("dataset_id"))
        .isEqualTo("var.bigquery_dataset");
  }

  /** Evaluates an expression for {@link #PROJECT} with extra {@code -var} assignments. */
  private static JsonNode evaluate(List<String> vars, String expression) {
    return evaluate(vars, expression, PROJECT);
  }

  private static JsonNode evaluate(List<String> vars, String expression, String project) {
    List<String> all = new ArrayList<>();
    all.add("project_id=" + project);
    all.addAll(vars);
    return terraform.evaluate(sandbox, all, expression);
  }

  private static List<String> strings(JsonNode array) {
    List<String> strings = new ArrayList<>();
    array.forEach(s -> strings.add(s.asText()));
    return strings;
  }

  /**
   * Runs a printed command with bash, as an operator would paste it, with {@code ./mvnw} replaced
   * by a script that records its arguments: returns the arguments of each Maven invocation.
   */
  private static List<List<String>> mavenInvocations(String command) throws Exception {
    Path dir = Files.createTempDirectory(sandbox, "shell");
    Path log = dir.resolve("invocations");
    Path mvnw = dir.resolve("mvnw");
    Files.writeString(
        mvnw,
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >> \""
            + log
            + "\"\nprintf '\\1\\0' >> \""
            + log
            + "\"\n",
        StandardCharsets.UTF_8);
    assertThat(mvnw.toFile().setExecutable(true)).isTrue();
    Process bash =
        new ProcessBuilder("bash", "-euc", command).directory(dir.toFile()).inheritIO().start();
    assertThat(bash.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(bash.exitValue()).isZero();
    List<List<String>> invocations = new ArrayList<>();
    List<String> current = new ArrayList<>();
    for (String arg : Files.readString(log, StandardCharsets.UTF_8).split("\0", -1)) {
      if (arg.equals("\1")) {
        invocations.add(current);
        current = new ArrayList<>();
      } else if (!arg.isEmpty()) {
        current.add(arg);
      }
    }
    return invocations;
  }

  /**
   * The program arguments exec:java passes to main: the value of {@code -Dexec.args}, which the
   * exec plugin splits at whitespace (none of these values contains any).
   */
  private static List<String> execArgs(List<String> invocation) {
    String prefix = "-Dexec.args=";
    String value =
        invocation.stream()
            .filter(a -> a.startsWith(prefix))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no -Dexec.args in " + invocation))
            .substring(prefix.length());
    List<String> args = new ArrayList<>();
    for (String arg : value.strip().split("\\s+", -1)) {
      args.add(arg);
    }
    return args;
  }
}
