package io.eventflow.terraform;

import static io.eventflow.terraform.TerraformConfig.nested;
import static io.eventflow.terraform.TerraformConfig.single;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.terraform.TerraformConfig.FileRead;
import io.eventflow.terraform.TerraformConfig.Grant;
import io.eventflow.timeseries.srv.ServerConfig;
import io.eventflow.timeseries.store.Schemas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Offline checks of the Terraform configuration, parsed with hcl4j: the resources the jobs and the
 * query service need exist, are wired to each other, and read their schemas from the files the code
 * reads; every variable is typed and described; grants are least-privilege; the query service is
 * not public.
 */
class TerraformConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The repository root: this module is its terraform/ directory. */
  private static final Path REPO = Path.of("").toAbsolutePath().getParent();

  /**
   * The Pub/Sub service agent as hcl4j renders {@code local.pubsub_service_agent}: the project
   * number is a data source attribute, kept as its reference text.
   */
  private static final String PUBSUB_SERVICE_AGENT =
      "serviceAccount:service-data.google_project.this.number@gcp-sa-pubsub.iam.gserviceaccount.com";

  private static TerraformConfig config;

  @BeforeAll
  static void parse() {
    config = TerraformConfig.load(Path.of(""));
  }

  @Test
  void configurationIsSplitIntoOneFilePerConcern() {
    List<String> required =
        List.of(
            "apis.tf",
            "bigquery.tf",
            "cloudrun.tf",
            "collector.tf",
            "feed.tf",
            "iam.tf",
            "jobs.tf",
            "locals.tf",
            "mqtt.tf",
            "network.tf",
            "outputs.tf",
            "pubsub.tf",
            "redis.tf",
            "spanner.tf",
            "storage.tf",
            "variables.tf",
            "versions.tf");
    assertThat(config.sources().keySet()).containsAll(required);
    // Any other file is one of the known concerns: the dashboards and alerts.
    List<String> known = new ArrayList<>(required);
    known.add("monitoring.tf");
    assertThat(known).containsAll(config.sources().keySet());
  }

  @Test
  void everyResourceTheDeploymentNeedsExists() {
    assertThat(config.resources().keySet())
        .contains(
            "google_project_service.apis",
            "google_pubsub_topic.events",
            "google_pubsub_topic.validated",
            "google_pubsub_topic.ingest_dead_letter",
            "google_pubsub_topic.rollups_dead_letter",
            "google_pubsub_subscription.ingest",
            "google_pubsub_subscription.rollups",
            "google_bigquery_dataset.main",
            "google_bigquery_table.events",
            "google_bigquery_table.invalid_messages",
            "google_spanner_instance.main",
            "google_spanner_database.main",
            "google_redis_instance.cache",
            "google_secret_manager_secret.redis_auth",
            "google_secret_manager_secret_version.redis_auth",
            "google_storage_bucket.main",
            "google_compute_network.main",
            "google_compute_subnetwork.main",
            "google_service_account.ingest",
            "google_service_account.rollups",
            "google_service_account.query",
            "google_service_account.publisher",
            "google_cloud_run_v2_service.query",
            "google_artifact_registry_repository.images");
  }

  @Test
  void googleProviderIsPinnedToOneMajorVersion() {
    Map<String, Object> terraform =
        TerraformConfig.cast(config.files().get("versions.tf").get("terraform"));
    Map<String, Object> google =
        TerraformConfig.cast(
            TerraformConfig.cast(terraform.get("required_providers")).get("google"));
    assertThat(google.get("source")).isEqualTo("hashicorp/google");
    // "~> 6.45" allows 6.45 and later 6.x releases, never 7.0.
    assertThat((String) google.get("version")).matches("~> \\d+\\.\\d+");
  }

  @Test
  void everyVariableHasATypeAndADescription() {
    assertThat(config.variables()).isNotEmpty();
    config
        .variables()
        .forEach(
            (name, variable) -> {
              assertThat(variable.get("type")).as("type of variable %s", name).isNotNull();
              assertThat(variable.get("description"))
                  .as("description of variable %s", name)
                  .asString()
                  .isNotBlank();
            });
  }

  @Test
  void onlyTheProjectNeedsAValue() {
    List<String> required = new ArrayList<>();
    config
        .variables()
        .forEach(
            (name, variable) -> {
              if (!variable.containsKey("default")) {
                required.add(name);
              }
            });
    assertThat(required).containsExactly("project_id");
  }

  @Test
  void projectServicesStayEnabledOnDestroy() {
    Map<String, Object> apis = config.resource("google_project_service.apis");
    assertThat(apis.get("disable_on_destroy")).isEqualTo(false);
    assertThat(config.sources().get("apis.tf"))
        .contains(
            "\"pubsub.googleapis.com\"",
            "\"bigquery.googleapis.com\"",
            "\"bigquerystorage.googleapis.com\"",
            "\"spanner.googleapis.com\"",
            "\"redis.googleapis.com\"",
            "\"run.googleapis.com\"",
            "\"cloudscheduler.googleapis.com\"",
            "\"secretmanager.googleapis.com\"",
            "\"dataflow.googleapis.com\"",
            "\"storage.googleapis.com\"",
            "\"compute.googleapis.com\"");
  }

  @Test
  void everyFileReadIsModuleRelativeAndExists() {
    assertThat(config.fileReads()).isNotEmpty();
    for (FileRead read : config.fileReads()) {
      // A path without ${path.module} would be resolved against wherever terraform is run.
      assertThat(read.resolved()).as("file(%s) in %s", read.argument(), read.tfFile()).isNotNull();
      assertThat(read.resolved())
          .as("file(%s) in %s", read.argument(), read.tfFile())
          .isRegularFile();
    }
  }

  @Test
  void bigQueryTablesReadTheIngestJobsSchemaFiles() throws IOException {
    Path resources = REPO.resolve("eventflow-ingest/src/main/resources");
    // The resource names TableSchemas loads, read from its source: eventflow-ingest is not a
    // dependency of this module, and the constants are the one place the job names its files.
    String tableSchemas =
        Files.readString(
            REPO.resolve("eventflow-ingest/src/main/java/io/eventflow/ingest/TableSchemas.java"));
    Path events = resources.resolve(constant(tableSchemas, "EVENTS"));
    Path invalid = resources.resolve(constant(tableSchemas, "INVALID_MESSAGES"));

    assertThat(readsOf("bigquery.tf")).containsExactlyInAnyOrder(events, invalid);
    assertThat(config.resource("google_bigquery_table.events").get("schema"))
        .isEqualTo(Files.readString(events));
    assertThat(config.resource("google_bigquery_table.invalid_messages").get("schema"))
        .isEqualTo(Files.readString(invalid));
  }

  @Test
  void bigQueryTablesArePartitionedAndClusteredOnColumnsOfTheirSchemas() throws IOException {
    assertPartitionedAndClustered("events", "timestamp", List.of("type", "source", "customer"));
    assertPartitionedAndClustered("invalid_messages", "received_at", List.of("reason"));
  }

  private static void assertPartitionedAndClustered(
      String table, String partitionField, List<String> clustering) throws IOException {
    Map<String, Object> resource = config.resource("google_bigquery_table." + table);
    Map<String, Object> partitioning = single(resource, "time_partitioning");
    assertThat(partitioning.get("type")).isEqualTo("DAY");
    assertThat(partitioning.get("field")).isEqualTo(partitionField);
    assertThat(resource.get("require_partition_filter")).isEqualTo(true);
    assertThat(resource.get("clustering")).isEqualTo(clustering);

    // The schema is a bare field array (Terraform's format); the partition column is a
    // TIMESTAMP and every clustering column is a top-level field.
    JsonNode fields = JSON.readTree((String) resource.get("schema"));
    assertThat(fields.isArray()).as("%s schema is a field array", table).isTrue();
    Map<String, String> types = new TreeMap<>();
    fields.forEach(f -> types.put(f.get("name").asText(), f.get("type").asText()));
    assertThat(types).containsEntry(partitionField, "TIMESTAMP");
    assertThat(types).containsKeys(clustering.toArray(String[]::new));
  }

  @Test
  void spannerDatabaseReadsTheStoreModulesDdlFile() {
    // Schemas.SPANNER_RESOURCE is the classpath resource the store's Spanner adapter loads.
    Path ddl =
        REPO.resolve("eventflow-timeseries-store/src/main/resources")
            .resolve(Schemas.SPANNER_RESOURCE.substring(1));
    assertThat(readsOf("spanner.tf")).containsExactly(ddl);
    assertThat(config.sources().get("spanner.tf"))
        .contains("ddl                 = local.spanner_ddl");
  }

  @Test
  void jobSubscriptionsRetainAndDeadLetter() {
    assertSubscription("ingest", "google_pubsub_topic.events.id", "ingest_dead_letter");
    assertSubscription("rollups", "google_pubsub_topic.validated.id", "rollups_dead_letter");
  }

  private static void assertSubscription(String name, String topic, String deadLetterTopic) {
    Map<String, Object> subscription = config.resource("google_pubsub_subscription." + name);
    assertThat(subscription.get("topic")).isEqualTo(topic);
    assertThat(subscription.get("ack_deadline_seconds"))
        .isEqualTo("var.subscription_ack_deadline_seconds");
    assertThat(subscription.get("message_retention_duration"))
        .isEqualTo("var.subscription_message_retention");
    // An empty ttl: the subscription never expires while its job is stopped.
    assertThat(single(subscription, "expiration_policy").get("ttl")).isEqualTo("");
    Map<String, Object> deadLetter = single(subscription, "dead_letter_policy");
    assertThat(deadLetter.get("dead_letter_topic"))
        .isEqualTo("google_pubsub_topic." + deadLetterTopic + ".id");
    assertThat(deadLetter.get("max_delivery_attempts"))
        .isEqualTo("var.dead_letter_max_delivery_attempts");

    // Something must hold what is dead-lettered: a topic without subscriptions drops messages.
    assertThat(config.resources())
        .hasEntrySatisfying(
            "google_pubsub_subscription." + deadLetterTopic + "_hold",
            hold ->
                assertThat(hold.get("topic"))
                    .isEqualTo("google_pubsub_topic." + deadLetterTopic + ".id"));

    // The Pub/Sub service agent forwards dead letters: it publishes to the dead-letter topic and
    // acknowledges on the source subscription.
    Set<String> agentGrants = config.grantsOf(PUBSUB_SERVICE_AGENT);
    assertThat(agentGrants)
        .contains(
            "roles/pubsub.publisher on google_pubsub_topic." + deadLetterTopic + ".id",
            "roles/pubsub.subscriber on google_pubsub_subscription." + name + ".id");
  }

  @Test
  void eachWorkloadHoldsExactlyTheRolesItNeeds() {
    assertThat(config.grantsOf("google_service_account.ingest.member"))
        .containsExactlyInAnyOrder(
            "roles/dataflow.worker on var.project_id",
            "roles/storage.objectAdmin on google_storage_bucket.main.name",
            "roles/pubsub.subscriber on google_pubsub_subscription.ingest.id",
            "roles/pubsub.viewer on google_pubsub_subscription.ingest.id",
            "roles/pubsub.publisher on google_pubsub_topic.validated.id",
            "roles/pubsub.viewer on google_pubsub_topic.validated.id",
            "roles/bigquery.dataEditor on google_bigquery_dataset.main.dataset_id",
            "roles/bigquery.jobUser on var.project_id");
    assertThat(config.grantsOf("google_service_account.rollups.member"))
        .containsExactlyInAnyOrder(
            "roles/dataflow.worker on var.project_id",
            "roles/storage.objectAdmin on google_storage_bucket.main.name",
            "roles/pubsub.subscriber on google_pubsub_subscription.rollups.id",
            "roles/pubsub.viewer on google_pubsub_subscription.rollups.id",
            "roles/spanner.databaseUser on google_spanner_database.main.name",
            // Undecodable messages go to the dataset's invalid_messages table, as ingest's do.
            "roles/bigquery.dataEditor on google_bigquery_dataset.main.dataset_id",
            "roles/bigquery.jobUser on var.project_id");
    assertThat(config.grantsOf("google_service_account.query.member"))
        .containsExactlyInAnyOrder(
            "roles/spanner.databaseReader on google_spanner_database.main.name",
            "roles/secretmanager.secretAccessor on google_secret_manager_secret.redis_auth.id",
            // It publishes its metrics to Cloud Monitoring (monitoring.tf).
            "roles/monitoring.metricWriter on var.project_id");
    assertThat(config.grantsOf("google_service_account.publisher.member"))
        .containsExactly("roles/pubsub.publisher on google_pubsub_topic.events.id");
  }

  @Test
  void loadJobPermissionIsGrantedOnlyForFileLoads() {
    for (String job : List.of("ingest", "rollups")) {
      assertThat(config.resource("google_project_iam_member." + job + "_runs_load_jobs"))
          .containsEntry("role", "roles/bigquery.jobUser");
    }
    assertThat(config.sources().get("iam.tf"))
        .containsSubsequence(
            "count = var.bigquery_write_method == \"FILE_LOADS\" ? 1 : 0",
            "count = var.bigquery_write_method == \"FILE_LOADS\" ? 1 : 0");
  }

  @Test
  void nothingIsGrantedToEveryoneOrAtProjectLevelBeyondDataflow() {
    for (Grant grant : config.grants()) {
      // The one public grant: anyone may call the collector, which checks API keys itself.
      if (grant.resource().equals("google_cloud_run_v2_service_iam_member.collector_public")) {
        assertThat(grant.role()).isEqualTo("roles/run.invoker");
        assertThat(grant.member()).isEqualTo("allUsers");
        continue;
      }
      assertThat(grant.member()).doesNotContain("allUsers", "allAuthenticatedUsers");
      if (grant.target().equals("var.project_id")) {
        assertThat(grant.role())
            .isIn(
                "roles/dataflow.worker",
                "roles/bigquery.jobUser",
                "roles/dataflow.admin",
                // The services' metrics (monitoring.tf): the role exists only at project level.
                "roles/monitoring.metricWriter");
      }
    }
    // Authoritative policies (_iam_policy, _iam_binding) would silently remove other grants.
    assertThat(config.resources().keySet())
        .noneMatch(
            address -> address.contains("_iam_policy.") || address.contains("_iam_binding."));
  }

  @Test
  void queryServiceIsInvokableOnlyByTheConfiguredPrincipals() {
    List<Grant> invokers =
        config.grants().stream()
            .filter(g -> g.role().equals("roles/run.invoker"))
            .filter(g -> g.target().startsWith("google_cloud_run_v2_service.query"))
            .toList();
    assertThat(invokers)
        .containsExactly(
            new Grant(
                "google_cloud_run_v2_service_iam_member.query_invokers",
                "roles/run.invoker",
                "each of var.query_service_image == \"\" ? toset([]) : toset(var.query_invokers)",
                "google_cloud_run_v2_service.query.value.name"));
    // The variable refuses the public principals outright.
    Map<String, Object> variable = config.variables().get("query_invokers");
    assertThat(variable.get("default")).isEqualTo(List.of());
    assertThat(config.sources().get("variables.tf"))
        .contains(
            "!contains([\"allUsers\", \"allAuthenticatedUsers\"], member)])",
            "for member in var.query_invokers");
    assertThat(config.resource("google_cloud_run_v2_service.query").get("ingress"))
        .isEqualTo("INGRESS_TRAFFIC_ALL");
  }

  @Test
  void queryServiceSpeaksGrpcAndReachesRedisThroughTheVpc() {
    Map<String, Object> service = config.resource("google_cloud_run_v2_service.query");
    Map<String, Object> template = single(service, "template");
    assertThat(template.get("service_account")).isEqualTo("google_service_account.query.email");

    Map<String, Object> vpc = single(template, "vpc_access");
    Map<String, Object> nic = single(vpc, "network_interfaces");
    assertThat(nic.get("network")).isEqualTo("google_compute_network.main.id");
    assertThat(nic.get("subnetwork")).isEqualTo("google_compute_subnetwork.main.id");
    assertThat(config.resource("google_redis_instance.cache").get("authorized_network"))
        .isEqualTo("google_compute_network.main.id");

    Map<String, Object> container = single(template, "containers");
    assertThat(config.sources().get("cloudrun.tf")).contains("image = var.query_service_image");
    Map<String, Object> port = single(container, "ports");
    // h2c: end-to-end HTTP/2, without which Cloud Run downgrades to HTTP/1.1 and gRPC fails.
    assertThat(port.get("name")).isEqualTo("h2c");
    assertThat(single(single(container, "startup_probe"), "grpc").get("port"))
        .isEqualTo(port.get("container_port"));
    assertThat(single(single(container, "liveness_probe"), "grpc").get("port"))
        .isEqualTo(port.get("container_port"));

    Map<String, Object> env = new TreeMap<>();
    nested(container, "env").forEach(e -> env.put((String) e.get("name"), e.get("value")));
    assertThat(env)
        .containsKeys(
            "EVENTFLOW_STORE",
            "EVENTFLOW_REDIS_URL",
            "EVENTFLOW_REDIS_CA_CERT",
            "EVENTFLOW_GRPC_PORT",
            "EVENTFLOW_METRICS_PORT");
  }

  @Test
  void redisRequiresAuthAndTlsAndTheServiceReadsTheAuthStringFromSecretManager() {
    Map<String, Object> redis = config.resource("google_redis_instance.cache");
    assertThat(redis.get("auth_enabled")).isEqualTo(true);
    assertThat(redis.get("transit_encryption_mode")).isEqualTo("SERVER_AUTHENTICATION");
    assertThat((String) config.blocks("locals").get("query_redis_url")).startsWith("rediss://");
    assertThat(
            config.resource("google_secret_manager_secret_version.redis_auth").get("secret_data"))
        .isEqualTo("google_redis_instance.cache.auth_string");

    Map<String, Object> container =
        single(
            single(config.resource("google_cloud_run_v2_service.query"), "template"), "containers");
    Map<String, Object> password =
        nested(container, "env").stream()
            .filter(e -> "EVENTFLOW_REDIS_PASSWORD".equals(e.get("name")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no EVENTFLOW_REDIS_PASSWORD"));
    // Only a reference to the secret: the value itself is never in the service's configuration.
    assertThat(password).doesNotContainKey("value");
    Map<String, Object> ref = single(single(password, "value_source"), "secret_key_ref");
    assertThat(ref.get("secret")).isEqualTo("google_secret_manager_secret.redis_auth.secret_id");
    // The version Terraform wrote, not "latest": a new AUTH string rolls out a new revision.
    assertThat(ref.get("version"))
        .isEqualTo("google_secret_manager_secret_version.redis_auth.version");
  }

  @Test
  void queryServerAcceptsTheEnvironmentTerraformGivesIt() {
    // The values as they are after apply; the store URL's exact text is checked in
    // TerraformEvaluationTest.
    int port = ((Number) config.blocks("locals").get("query_grpc_port")).intValue();
    String redisUrl =
        ((String) config.blocks("locals").get("query_redis_url"))
            .replace("google_redis_instance.cache.host", "10.20.30.40")
            .replace("google_redis_instance.cache.port", "6379");
    ServerConfig server =
        ServerConfig.fromEnvironment(
            Map.of(
                "EVENTFLOW_STORE",
                "spanner:projects/demo/instances/eventflow/databases/eventflow",
                "EVENTFLOW_REDIS_URL",
                redisUrl,
                "EVENTFLOW_GRPC_PORT",
                Integer.toString(port),
                "EVENTFLOW_METRICS_PORT",
                "none",
                // Cloud Run sets PORT to the container port.
                "PORT",
                Integer.toString(port)));
    assertThat(server.grpcPort()).isEqualTo(9090);
    assertThat(server.metricsPort()).isEqualTo(-1);
    assertThat(server.redisUrl().getScheme()).isEqualTo("rediss");
    assertThat(server.redisUrl().getHost()).isEqualTo("10.20.30.40");
    assertThat(server.redisUrl().getPort()).isEqualTo(6379);
  }

  @Test
  void bucketAgesOutScratchFilesButNeverTheStagedJars() {
    Map<String, Object> bucket = config.resource("google_storage_bucket.main");
    assertThat(bucket.get("uniform_bucket_level_access")).isEqualTo(true);
    assertThat(bucket.get("public_access_prevention")).isEqualTo("enforced");
    Set<String> prefixes = new TreeSet<>();
    for (Map<String, Object> rule : nested(bucket, "lifecycle_rule")) {
      Object matches = single(rule, "condition").get("matches_prefix");
      ((List<?>) matches).forEach(p -> prefixes.add((String) p));
    }
    assertThat(prefixes).contains("temp/", "archive/", "archive/.temp-beam/");
    // Workers started by autoscaling months into a job download the staged jars again.
    assertThat(prefixes).noneMatch(p -> p.startsWith("staging"));
  }

  @Test
  void outputsIncludeBothLaunchCommands() {
    Map<String, Map<String, Object>> outputs = config.outputs();
    assertThat(outputs)
        .containsKeys(
            "ingest_launch_command",
            "rollups_launch_command",
            "ingest_update_command",
            "rollups_update_command",
            "events_topic",
            "query_service_url");
    outputs.forEach(
        (name, output) ->
            assertThat(output.get("description")).as("description of output %s", name).isNotNull());
    String jobs = config.sources().get("jobs.tf");
    assertThat(jobs)
        .contains(
            "./mvnw -B -pl eventflow-ingest exec:java",
            "-Dexec.mainClass=io.eventflow.ingest.IngestPipeline",
            "./mvnw -B -pl eventflow-timeseries-rollups exec:java",
            "-Dexec.mainClass=io.eventflow.timeseries.rollups.RollupsPipeline",
            "-Dexec.args=\"${join(",
            "\"--runner=DataflowRunner\"");
  }

  private static List<Path> readsOf(String tfFile) {
    return config.fileReads().stream()
        .filter(r -> r.tfFile().equals(tfFile))
        .map(FileRead::resolved)
        .distinct()
        .toList();
  }

  private static String constant(String source, String name) {
    Matcher m = Pattern.compile("String " + name + " = \"([^\"]+)\";").matcher(source);
    assertThat(m.find()).as("constant %s", name).isTrue();
    return m.group(1);
  }
}
