package io.eventflow.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.eventflow.ingest.IngestPipeline;
import io.eventflow.timeseries.rollups.RollupsPipeline;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.runners.dataflow.util.DataflowTemplateJob;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory;
import org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator;
import org.apache.beam.sdk.options.FileStagingOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both jobs, built from exactly the flags {@code terraform output} prints, go through the real
 * DataflowRunner up to the point of submission: option parsing and validation, the runner's
 * transform overrides, staging and translation into a Dataflow job specification. Instead of
 * submitting, the runner writes the specification as a classic template file ({@code
 * --templateLocation}), which the test reads.
 *
 * <p>What stays offline, and how: no credentials ({@link NoopCredentialFactory}), no GCS checks
 * ({@link NoopPathValidator}), staging, temp files and the template go to a local directory (so the
 * gs:// staging and temp flags are the only ones not taken as printed), and the one call Beam makes
 * while validating the ingest job (BigQueryIO checks that the dataset exists) is answered by a
 * loopback fake of that BigQuery endpoint. What is NOT covered: that Dataflow accepts the job, IAM,
 * quotas, and anything at run time on workers.
 */
class DataflowTranslationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;

  private static TerraformCli terraform;
  private static Path sandbox;
  private static HttpServer bigQuery;
  private static final List<String> bigQueryRequests = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void setUp() throws IOException {
    Optional<TerraformCli> found = TerraformCli.find();
    assumeTrue(
        found.isPresent(),
        "terraform is not on the PATH: skipping the Dataflow translation of the launch commands"
            + " (they are evaluated with terraform console)");
    terraform = found.get();
    sandbox = Files.createDirectory(dir.resolve("console"));
    TerraformCli.sandbox(TerraformConfig.load(Path.of("")), sandbox, List.of());

    // Answers datasets.get for any dataset, and tables.get with 404 (a first deploy: Terraform's
    // table is read only by the ingest launcher, which then writes the schema file's shape). These
    // are the only BigQuery calls made before submission.
    bigQuery = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    bigQuery.createContext(
        "/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          bigQueryRequests.add(exchange.getRequestMethod() + " " + path);
          if (path.contains("/tables/")) {
            byte[] missing =
                "{\"error\":{\"code\":404,\"message\":\"Not found\",\"status\":\"NOT_FOUND\"}}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(404, missing.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(missing);
            }
            return;
          }
          String dataset = path.substring(path.lastIndexOf('/') + 1);
          byte[] body =
              ("{\"kind\":\"bigquery#dataset\",\"datasetReference\":{\"projectId\":\""
                      + TerraformEvaluationTest.PROJECT
                      + "\",\"datasetId\":\""
                      + dataset
                      + "\"},\"location\":\"us-central1\"}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    bigQuery.start();
  }

  @BeforeEach
  void forgetRequests() {
    bigQueryRequests.clear();
  }

  @AfterAll
  static void stopBigQuery() {
    if (bigQuery != null) {
      bigQuery.stop(0);
    }
  }

  @Test
  void ingestCommandTranslatesToAStreamingDataflowJob() throws IOException {
    PipelineOptionsFactory.register(IngestPipeline.Options.class);
    IngestPipeline.Options options =
        PipelineOptionsFactory.fromArgs(args("ingest"))
            .withValidation()
            .as(IngestPipeline.Options.class);
    options.setBigQueryEndpoint("http://127.0.0.1:" + bigQuery.getAddress().getPort());
    Path template = offline(options, "ingest");

    PipelineResult result = IngestPipeline.run(options);

    // Template creation returns a placeholder instead of a running job: nothing was submitted.
    assertThat(result).isInstanceOf(DataflowTemplateJob.class);
    JsonNode job = JSON.readTree(template.toFile());
    assertWorkerEnvironment(job, "eventflow-ingest");
    assertThat(stepNames(job))
        .contains(
            "ReadMessages",
            "ParseEvents",
            "DeduplicateEvents",
            "WriteEventsToBigQuery",
            "RepublishEvents",
            "WriteInvalidMessages",
            "ArchiveEvents",
            "ArchiveInvalidMessages");
    // Dataflow's own Pub/Sub source and sink replaced PubsubIO, on Terraform's subscription and
    // topic.
    assertThat(stepProperties(job, "pubsub_subscription"))
        .containsExactly("/subscriptions/demo-project/events-ingest");
    assertThat(stepProperties(job, "pubsub_topic"))
        .containsExactly("/topics/demo-project/events-validated");
    // BigQueryIO looked up the dataset Terraform creates, and the launcher read the events table's
    // schema (BigQueryTable.matchingExistingTable: an older table without the enrichment column is
    // written in its own shape); nothing else, and nothing written.
    assertThat(bigQueryRequests)
        .containsOnly(
            "GET /bigquery/v2/projects/demo-project/datasets/eventflow",
            "GET /bigquery/v2/projects/demo-project/datasets/eventflow/tables/events");
  }

  @Test
  void rollupsCommandTranslatesToAStreamingDataflowJob() throws IOException {
    PipelineOptionsFactory.register(RollupsPipeline.Options.class);
    RollupsPipeline.Options options =
        PipelineOptionsFactory.fromArgs(args("rollups"))
            .withValidation()
            .as(RollupsPipeline.Options.class);
    options.setBigQueryEndpoint("http://127.0.0.1:" + bigQuery.getAddress().getPort());
    Path template = offline(options, "rollups");

    PipelineResult result = RollupsPipeline.run(options);

    // Template creation returns a placeholder instead of a running job: nothing was submitted.
    assertThat(result).isInstanceOf(DataflowTemplateJob.class);
    JsonNode job = JSON.readTree(template.toFile());
    assertWorkerEnvironment(job, "eventflow-rollups");
    assertThat(stepNames(job))
        .contains(
            "ReadMessages",
            "DecodeEvents",
            "DeduplicateEvents",
            "ComputeRollups",
            "WriteIntervals",
            "WriteUndecodableMessages");
    // The undecodable messages' dead letters reach BigQuery and the archive, as ingest's do.
    assertThat(stepProperties(job, "user_name"))
        .anyMatch(name -> name.startsWith("WriteUndecodableMessages/WriteInvalidMessages/"))
        .anyMatch(name -> name.startsWith("WriteUndecodableMessages/ArchiveInvalidMessages/"));
    assertThat(stepProperties(job, "pubsub_subscription"))
        .containsExactly("/subscriptions/demo-project/events-validated-rollups");
    assertThat(bigQueryRequests)
        .containsOnly("GET /bigquery/v2/projects/demo-project/datasets/eventflow");
  }

  /** The flags of a job's launch command, evaluated by terraform for the demo project. */
  private static String[] args(String job) {
    List<String> args = new ArrayList<>();
    terraform
        .evaluate(
            sandbox,
            List.of("project_id=" + TerraformEvaluationTest.PROJECT),
            "local." + job + "_args")
        .forEach(a -> args.add(a.asText()));
    return args.toArray(String[]::new);
  }

  /**
   * Keeps the runner offline: no credentials, no GCS path checks, staging into a local directory,
   * one small file staged instead of the test classpath, and the job written to a local template
   * file instead of being submitted. Returns the template file.
   */
  private static Path offline(PipelineOptions options, String job) throws IOException {
    Path jobDir = Files.createDirectory(dir.resolve(job));
    Path staged = Files.writeString(jobDir.resolve("staged.txt"), "staged", StandardCharsets.UTF_8);
    Path template = jobDir.resolve("template.json");
    DataflowPipelineOptions dataflow = options.as(DataflowPipelineOptions.class);
    dataflow.setCredentialFactoryClass(NoopCredentialFactory.class);
    dataflow.setPathValidatorClass(NoopPathValidator.class);
    dataflow.setStagingLocation(Files.createDirectory(jobDir.resolve("staging")).toString());
    // With a gs:// temp location the runner fetches the bucket's metadata (to warn about soft
    // delete), which needs storage.googleapis.com.
    String temp = Files.createDirectory(jobDir.resolve("temp")).toString();
    dataflow.setTempLocation(temp);
    dataflow.setGcpTempLocation(temp);
    dataflow.setTemplateLocation(template.toString());
    options.as(FileStagingOptions.class).setFilesToStage(List.of(staged.toString()));
    return template;
  }

  /** The job runs as Terraform's service account, on its subnetwork, without public IPs. */
  private static void assertWorkerEnvironment(JsonNode job, String name) {
    assertThat(job.path("name").asText()).isEqualTo(name);
    assertThat(job.path("type").asText()).isEqualTo("JOB_TYPE_STREAMING");
    JsonNode environment = job.path("environment");
    assertThat(environment.path("serviceAccountEmail").asText())
        .isEqualTo(name + "@demo-project.iam.gserviceaccount.com");
    JsonNode pool = environment.path("workerPools").path(0);
    assertThat(pool.path("machineType").asText()).isEqualTo("n1-standard-2");
    assertThat(pool.path("subnetwork").asText())
        .isEqualTo("regions/us-central1/subnetworks/eventflow-us-central1");
    assertThat(pool.path("ipConfiguration").asText()).isEqualTo("WORKER_IP_PRIVATE");
    assertThat(pool.path("autoscalingSettings").path("maxNumWorkers").asInt()).isEqualTo(3);
  }

  /**
   * The distinct top-level names of the job's steps: the pipeline's own step names, which Dataflow
   * matches on --update ({@code user_name} is the full path, e.g. {@code ParseEvents/Parse}).
   */
  private static Set<String> stepNames(JsonNode job) {
    Set<String> names = new LinkedHashSet<>();
    for (String path : stepProperties(job, "user_name")) {
      int slash = path.indexOf('/');
      names.add(slash < 0 ? path : path.substring(0, slash));
    }
    return names;
  }

  /** The values of one property over all steps that have it. */
  private static List<String> stepProperties(JsonNode job, String property) {
    List<String> values = new ArrayList<>();
    job.path("steps")
        .forEach(
            step -> {
              JsonNode value = step.path("properties").path(property);
              if (!value.isMissingNode()) {
                values.add(value.path("value").asText());
              }
            });
    return values;
  }
}
