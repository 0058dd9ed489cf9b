package io.eventflow.terraform;

import static io.eventflow.terraform.TerraformConfig.nested;
import static io.eventflow.terraform.TerraformConfig.single;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.base.Ticker;
import io.eventflow.cli.CliContext;
import io.eventflow.cli.EventflowCommand;
import io.eventflow.collector.ApiKeys;
import io.eventflow.collector.CollectorConfig;
import io.eventflow.collector.CollectorMain;
import io.eventflow.mqtt.BridgeConfig;
import io.eventflow.mqtt.MqttBridgeMain;
import io.eventflow.terraform.TerraformConfig.Grant;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The services Terraform deploys besides the query service: the public collector, the MQTT bridge
 * and the scheduled feed. hcl4j checks the wiring of every resource (always run); where {@code
 * terraform} is installed, {@code terraform console} evaluates the environment and arguments each
 * gets, which the services' own configuration readers and the {@code eventflow} command line must
 * then accept.
 */
class ServicesConfigTest {
  /** The project the expressions are evaluated for. */
  private static final String PROJECT = "demo-project";

  /** A key and its line in the collector's key file. */
  private static final String KEY = "test-key-0123456789abcdef0123456789abcdef";

  private static final String KEY_HASH = ApiKeys.hash(KEY);

  /** Where Cloud Run mounts the collector's key file. */
  private static final String KEY_FILE = "/etc/eventflow-collector/api-keys";

  /** The variable naming the project services publish their metrics to (eventflow-metrics). */
  private static final String CLOUD_MONITORING_PROJECT = "EVENTFLOW_CLOUD_MONITORING_PROJECT";

  private static final String CLOUD_MONITORING_LOCATION = "EVENTFLOW_CLOUD_MONITORING_LOCATION";

  /** Roles monitoring.tf grants every workload; its own test checks them. */
  private static final String METRIC_WRITER = "roles/monitoring.metricWriter on var.project_id";

  @TempDir static Path dir;

  private static TerraformConfig config;
  private static Optional<TerraformCli> terraform;
  private static Path sandbox;

  @BeforeAll
  static void parse() throws Exception {
    config = TerraformConfig.load(Path.of(""));
    terraform = TerraformCli.find();
    sandbox = Files.createDirectory(dir.resolve("console"));
    TerraformCli.sandbox(config, sandbox, List.of("collector.tf", "mqtt.tf", "feed.tf"));
  }

  @Test
  void everyServiceResourceExists() {
    assertThat(config.resources().keySet())
        .contains(
            "google_cloud_run_v2_service.collector",
            "google_cloud_run_v2_service_iam_member.collector_public",
            "google_secret_manager_secret.collector_api_keys",
            "google_secret_manager_secret_version.collector_api_keys",
            "google_cloud_run_v2_service.mqtt",
            "google_secret_manager_secret.mqtt_broker_url",
            "google_secret_manager_secret.mqtt_password",
            "google_pubsub_topic.mqtt_dead_letters",
            "google_pubsub_subscription.mqtt_dead_letters_hold",
            "google_cloud_run_v2_job.feed",
            "google_cloud_scheduler_job.feed",
            "google_cloud_run_v2_job_iam_member.feed_runner_runs_job",
            "google_service_account.collector",
            "google_service_account.mqtt",
            "google_service_account.feed",
            "google_service_account.feed_runner");
    // Each service account is named by its local, as the query service's is.
    for (String name : List.of("collector", "mqtt", "feed")) {
      assertThat(config.resource("google_service_account." + name).get("account_id"))
          .isEqualTo("local." + name + "_sa_id");
    }
    assertThat(config.resource("google_service_account.feed_runner").get("account_id"))
        .isEqualTo("local.feed_runner_id");
  }

  @Test
  void everyImageIsAVariableAndEachServiceWaitsForItsImage() {
    Map<String, String> imageOf =
        Map.of(
            "google_cloud_run_v2_service.collector", "var.collector_image",
            "google_cloud_run_v2_service.mqtt", "var.mqtt_image",
            "google_cloud_run_v2_job.feed", "var.cli_image",
            "google_cloud_scheduler_job.feed", "var.cli_image");
    // hcl4j evaluates the condition (an unknown variable is never ""), so the source is checked.
    String all = String.join("\n", config.sources().values());
    imageOf.forEach(
        (address, variable) -> {
          int dot = address.indexOf('.');
          assertThat(all)
              .as(address)
              .contains(
                  "resource \""
                      + address.substring(0, dot)
                      + "\" \""
                      + address.substring(dot + 1)
                      + "\" {\n  count = "
                      + variable
                      + " == \"\" ? 0 : 1\n");
          assertThat(config.variables().get(variable.substring(4)).get("default")).isEqualTo("");
        });
    assertThat(config.sources().get("collector.tf")).contains("image = var.collector_image");
    assertThat(config.sources().get("mqtt.tf")).contains("image = var.mqtt_image");
    assertThat(config.sources().get("feed.tf")).contains("image = var.cli_image");
  }

  @Test
  void eachServiceAccountHoldsExactlyTheRolesItNeeds() {
    assertThat(rolesOf("google_service_account.collector.member"))
        .containsExactlyInAnyOrder(
            "roles/pubsub.publisher on google_pubsub_topic.events.id",
            // Cloud Run mounts the key file as the service's account.
            "roles/secretmanager.secretAccessor on"
                + " google_secret_manager_secret.collector_api_keys.id");
    assertThat(rolesOf("google_service_account.mqtt.member"))
        .containsExactlyInAnyOrder(
            "roles/pubsub.publisher on google_pubsub_topic.events.id",
            "roles/pubsub.publisher on google_pubsub_topic.mqtt_dead_letters.id",
            "roles/secretmanager.secretAccessor on google_secret_manager_secret.mqtt_broker_url.id",
            "roles/secretmanager.secretAccessor on google_secret_manager_secret.mqtt_password.id");
    assertThat(rolesOf("google_service_account.feed.member"))
        .containsExactly("roles/pubsub.publisher on google_pubsub_topic.events.id");
    assertThat(rolesOf("google_service_account.feed_runner.member"))
        .containsExactly("roles/run.invoker on google_cloud_run_v2_job.feed.value.name");
  }

  @Test
  void collectorIsPublicAndTheOnlyPublicGrant() {
    List<Grant> everyone =
        config.grants().stream()
            .filter(g -> g.member().equals("allUsers") || g.member().contains("allAuthenticated"))
            .toList();
    assertThat(everyone)
        .containsExactly(
            new Grant(
                "google_cloud_run_v2_service_iam_member.collector_public",
                "roles/run.invoker",
                "allUsers",
                "google_cloud_run_v2_service.collector.value.name"));
    assertThat(config.resource("google_cloud_run_v2_service.collector").get("ingress"))
        .isEqualTo("INGRESS_TRAFFIC_ALL");
  }

  @Test
  void collectorSpeaksHttp2EndToEndAndIsProbedOnItsHealthRoutes() {
    Map<String, Object> template = template("collector");
    assertThat(template.get("service_account")).isEqualTo("google_service_account.collector.email");
    assertThat(template.get("max_instance_request_concurrency"))
        .isEqualTo("var.collector_concurrency");
    Map<String, Object> scaling = single(template, "scaling");
    assertThat(scaling.get("min_instance_count")).isEqualTo("var.collector_min_instances");
    assertThat(scaling.get("max_instance_count")).isEqualTo("var.collector_max_instances");

    Map<String, Object> container = single(template, "containers");
    Map<String, Object> port = single(container, "ports");
    // gRPC (Send, SendStream, Connect) needs HTTP/2 all the way to the container.
    assertThat(port.get("name")).isEqualTo("h2c");
    assertThat(((Number) port.get("container_port")).intValue())
        .isEqualTo(CollectorConfig.DEFAULT_PORT);
    assertHttpProbe(container, "startup_probe", "/readyz", CollectorConfig.DEFAULT_PORT);
    assertHttpProbe(container, "liveness_probe", "/healthz", CollectorConfig.DEFAULT_PORT);
    // Billed per request: nothing runs between requests.
    assertThat(single(container, "resources").get("cpu_idle")).isEqualTo(true);
  }

  @Test
  void collectorLimitsMatchItsDocumentedOnes() {
    Map<String, Object> maxRequest = config.variables().get("collector_max_request_bytes");
    assertThat(((Number) maxRequest.get("default")).longValue())
        .isEqualTo(CollectorConfig.DEFAULT_MAX_REQUEST_BYTES);
    // The variable's bounds are the collector's event limit and Pub/Sub's request limit.
    assertThat(config.sources().get("variables.tf"))
        .contains(
            "var.collector_max_request_bytes >= "
                + CollectorConfig.DEFAULT_MAX_EVENT_BYTES
                + " && var.collector_max_request_bytes <= "
                + CollectorConfig.DEFAULT_MAX_REQUEST_BYTES);
    assertThat(((Number) config.variables().get("collector_concurrency").get("default")).intValue())
        .isEqualTo(1000);
  }

  @Test
  void collectorMountsTheKeyFileSecretItsEnvironmentPointsAt() {
    Map<String, Object> template = template("collector");
    Map<String, Object> volume = single(template, "volumes");
    Map<String, Object> secret = single(volume, "secret");
    assertThat(secret.get("secret"))
        .isEqualTo("google_secret_manager_secret.collector_api_keys.secret_id");
    Map<String, Object> item = single(secret, "items");
    // The exact version Terraform wrote, so new keys roll out a new revision.
    assertThat(config.sources().get("collector.tf"))
        .contains(
            "version = one(google_secret_manager_secret_version.collector_api_keys[*].version)");
    Map<String, Object> mount = single(single(template, "containers"), "volume_mounts");
    assertThat(mount.get("name")).isEqualTo(volume.get("name"));
    // The file Cloud Run mounts; collectorAcceptsTheEnvironment... checks the collector is told to
    // read this very path.
    assertThat(mount.get("mount_path") + "/" + item.get("path")).isEqualTo(KEY_FILE);
    assertThat(config.sources().get("collector.tf"))
        .contains(
            "EVENTFLOW_COLLECTOR_API_KEYS          ="
                + " \"${local.collector_api_keys_dir}/${local.collector_api_keys_name}\"");
    // The secret's data are the key file's lines, as evaluated in collectorAcceptsTheEnvironment...
    assertThat(config.sources().get("collector.tf"))
        .contains("secret_data = local.collector_api_keys_file");
    // Without keys the collector would refuse to listen publicly: plan stops first.
    assertThat(config.sources().get("collector.tf"))
        .contains("condition     = length(var.collector_api_keys) > 0");
  }

  @Test
  void collectorAcceptsTheEnvironmentAndKeyFileTerraformGivesIt() throws Exception {
    List<String> vars =
        List.of(
            "collector_api_keys={\"" + KEY_HASH + "\":\"web-shop\"}",
            "collector_cors_origins=[\"https://shop.example.com\",\"https://www.example.com\"]",
            "collector_max_request_bytes=1000000");
    Map<String, String> env = strings(evaluate(vars, "local.collector_env"));
    String keyFileText = evaluate(vars, "local.collector_api_keys_file").asText();

    // The file as Cloud Run mounts it, at the path the environment names.
    String mountedAt = env.get("EVENTFLOW_COLLECTOR_API_KEYS");
    assertThat(mountedAt).isEqualTo(KEY_FILE);
    Path keyFile = Files.createDirectories(dir.resolve("etc/eventflow-collector")).resolve("keys");
    Files.writeString(keyFile, keyFileText, StandardCharsets.UTF_8);
    env.put("EVENTFLOW_COLLECTOR_API_KEYS", keyFile.toString());
    // Cloud Run sets PORT to the container port.
    env.put("PORT", Integer.toString(CollectorConfig.DEFAULT_PORT));

    CollectorConfig collector = CollectorMain.fromEnvironment(env::get);
    assertThat(collector.open()).isFalse();
    assertThat(collector.host()).isEqualTo("0.0.0.0");
    assertThat(collector.port()).isEqualTo(CollectorConfig.DEFAULT_PORT);
    assertThat(collector.eventsTopic()).isEqualTo("projects/demo-project/topics/events");
    assertThat(collector.project()).contains(PROJECT);
    assertThat(collector.maxRequestBytes()).isEqualTo(1_000_000);
    assertThat(collector.ratePerKey()).isEqualTo(1000.0);
    assertThat(collector.corsOrigins())
        .containsExactly("https://shop.example.com", "https://www.example.com");
    assertThat(collector.emulatorHost()).isEmpty();

    ApiKeys keys = ApiKeys.load(keyFile);
    assertThat(keys.size()).isEqualTo(1);
    assertThat(keys.sourceOf(KEY)).contains("web-shop");
  }

  @Test
  void collectorApiKeysMustBeHashesAndSources() {
    for (String bad :
        List.of(
            "{\"" + KEY + "\":\"web-shop\"}",
            "{\"" + KEY_HASH.toUpperCase(java.util.Locale.ROOT) + "\":\"web-shop\"}",
            "{\"" + KEY_HASH + "\":\"web shop\"}")) {
      assertThat(validationErrors(List.of("collector_api_keys=" + bad)))
          .as(bad)
          .contains("collector_api_keys maps lowercase 64-digit SHA-256 hex hashes");
    }
    for (String bytes : List.of("100000", "20000000")) {
      assertThat(validationErrors(List.of("collector_max_request_bytes=" + bytes)))
          .as(bytes)
          .contains("collector_max_request_bytes is between 262144");
    }
    assertThat(validationErrors(List.of("collector_concurrency=1001")))
        .contains("Cloud Run takes 1 to 1000 concurrent requests");
  }

  @Test
  void mqttBridgeRunsOneAlwaysOnInstanceNobodyCanCall() {
    Map<String, Object> service = config.resource("google_cloud_run_v2_service.mqtt");
    assertThat(service.get("ingress")).isEqualTo("INGRESS_TRAFFIC_INTERNAL_ONLY");
    Map<String, Object> template = template("mqtt");
    assertThat(template.get("service_account")).isEqualTo("google_service_account.mqtt.email");
    Map<String, Object> scaling = single(template, "scaling");
    assertThat(((Number) scaling.get("min_instance_count")).intValue()).isEqualTo(1);
    assertThat(((Number) scaling.get("max_instance_count")).intValue()).isEqualTo(1);

    Map<String, Object> container = single(template, "containers");
    // CPU always allocated: the bridge works while no request arrives.
    assertThat(single(container, "resources").get("cpu_idle")).isEqualTo(false);
    int port = ((Number) single(container, "ports").get("container_port")).intValue();
    assertHttpProbe(container, "startup_probe", "/readyz", port);
    assertHttpProbe(container, "liveness_probe", "/healthz", port);
    // The bridge's HTTP server listens where Cloud Run probes (EVENTFLOW_MQTT_HTTP_PORT).
    assertThat(config.sources().get("mqtt.tf"))
        .contains("EVENTFLOW_MQTT_HTTP_PORT         = tostring(local.mqtt_port)");

    // No one holds run.invoker on it.
    assertThat(config.grants())
        .noneMatch(g -> g.target().startsWith("google_cloud_run_v2_service.mqtt"));
  }

  @Test
  void mqttBrokerUrlAndPasswordComeOnlyFromSecretManager() {
    String mqtt = config.sources().get("mqtt.tf");
    assertThat(mqtt)
        .containsSubsequence(
            "for_each = local.mqtt_secret_env",
            "value_source {",
            "secret_key_ref {",
            "secret  = env.value.secret",
            "version = env.value.version");
    // The plain environment names neither.
    String plainEnv =
        mqtt.substring(mqtt.indexOf("mqtt_env = merge("), mqtt.indexOf("mqtt_secret_env = merge("));
    assertThat(plainEnv).doesNotContain("EVENTFLOW_MQTT_BROKER", "EVENTFLOW_MQTT_PASSWORD");
    // The secrets have no version in Terraform: their values never reach its state.
    assertThat(config.resources().keySet())
        .noneMatch(a -> a.startsWith("google_secret_manager_secret_version.mqtt"));
    assertThat(config.blocks("locals"))
        .containsEntry("mqtt_broker_url_secret", "eventflow-mqtt-broker-url")
        .containsEntry("mqtt_password_secret", "eventflow-mqtt-password");
    assertThat(config.resource("google_secret_manager_secret.mqtt_broker_url").get("secret_id"))
        .isEqualTo("eventflow-mqtt-broker-url");
    assertThat(config.resource("google_secret_manager_secret.mqtt_password").get("secret_id"))
        .isEqualTo("eventflow-mqtt-password");
  }

  @Test
  void mqttDeadLettersHaveATopicAndAHoldingSubscription() {
    assertThat(config.resource("google_pubsub_topic.mqtt_dead_letters").get("name"))
        .isEqualTo(BridgeConfig.DEFAULT_DEAD_LETTER_TOPIC);
    Map<String, Object> hold = config.resource("google_pubsub_subscription.mqtt_dead_letters_hold");
    assertThat(hold.get("topic")).isEqualTo("google_pubsub_topic.mqtt_dead_letters.id");
    assertThat(hold.get("message_retention_duration")).isEqualTo("604800s");
    assertThat(single(hold, "expiration_policy").get("ttl")).isEqualTo("");
    assertThat(config.blocks("locals"))
        .containsEntry("mqtt_dead_letter_topic", BridgeConfig.DEFAULT_DEAD_LETTER_TOPIC);
  }

  @Test
  void mqttBridgeAcceptsTheEnvironmentTerraformGivesIt() {
    Map<String, String> env =
        strings(
            evaluate(
                List.of(
                    "mqtt_username=bridge",
                    "mqtt_version=3",
                    "mqtt_topics=[\"devices/+/+/+\"]",
                    "mqtt_templates=[\"devices/{customer}/{source}/{type}\"]"),
                "local.mqtt_env"));
    JsonNode secretEnv = evaluate(List.of("mqtt_username=bridge"), "local.mqtt_secret_env");
    assertThat(secretEnv.get("EVENTFLOW_MQTT_BROKER").get("secret").asText())
        .isEqualTo("eventflow-mqtt-broker-url");
    assertThat(secretEnv.get("EVENTFLOW_MQTT_PASSWORD").get("secret").asText())
        .isEqualTo("eventflow-mqtt-password");
    assertThat(evaluate(List.of(), "local.mqtt_secret_env").has("EVENTFLOW_MQTT_PASSWORD"))
        .as("no password without a username")
        .isFalse();
    // What Cloud Run reads from the two secrets.
    env.put("EVENTFLOW_MQTT_BROKER", "ssl://mqtt.example.com:8883");
    env.put("EVENTFLOW_MQTT_PASSWORD", "s3cret");

    BridgeConfig bridge = MqttBridgeMain.fromEnvironment(env::get);
    assertThat(bridge.host()).isEqualTo("mqtt.example.com");
    assertThat(bridge.tls()).isTrue();
    assertThat(bridge.mqttVersion()).isEqualTo(3);
    assertThat(bridge.clientId()).isEqualTo(BridgeConfig.DEFAULT_CLIENT_ID);
    assertThat(bridge.username()).contains("bridge");
    assertThat(bridge.password()).contains("s3cret");
    assertThat(bridge.filters()).containsExactly("devices/+/+/+");
    assertThat(bridge.eventsTopic()).isEqualTo("projects/demo-project/topics/events");
    assertThat(bridge.deadLetterTopic())
        .isEqualTo("projects/demo-project/topics/mqtt-dead-letters");
    assertThat(bridge.project()).contains(PROJECT);
    assertThat(bridge.emulatorHost()).isEmpty();
    assertThat(env.get("EVENTFLOW_MQTT_HTTP_PORT")).isEqualTo("8080");
  }

  @Test
  void feedRunsEveryMinutePausedByDefault() {
    Map<String, Object> schedule = config.resource("google_cloud_scheduler_job.feed");
    assertThat(schedule.get("schedule")).isEqualTo("* * * * *");
    assertThat(config.sources().get("feed.tf")).contains("paused      = !var.feed_enabled");
    assertThat(config.variables().get("feed_enabled").get("default")).isEqualTo(false);
    Map<String, Object> target = single(schedule, "http_target");
    assertThat(target.get("http_method")).isEqualTo("POST");
    // hcl4j leaves variables as their names: the Cloud Run Admin API v2 run method of the job.
    assertThat(target.get("uri"))
        .isEqualTo(
            "https://run.googleapis.com/v2/projects/var.project_id/locations/var.region/jobs/"
                + config.resource("google_cloud_run_v2_job.feed").get("name")
                + ":run");
    assertThat(single(target, "oauth_token").get("service_account_email"))
        .isEqualTo("google_service_account.feed_runner.email");

    Map<String, Object> job = config.resource("google_cloud_run_v2_job.feed");
    assertThat(job.get("name")).isEqualTo("eventflow-feed");
    Map<String, Object> task = single(single(job, "template"), "template");
    assertThat(task.get("service_account")).isEqualTo("google_service_account.feed.email");
    assertThat(((Number) task.get("max_retries")).intValue()).isZero();
    assertThat(single(task, "containers").get("args"))
        .isEqualTo(config.blocks("locals").get("feed_args"));
  }

  @Test
  void schedulerCallsTheRunMethodOfTheFeedJob() {
    assertThat(evaluate(List.of(), "local.feed_run_uri").asText())
        .isEqualTo(
            "https://run.googleapis.com/v2/projects/demo-project/locations/us-central1/jobs/"
                + evaluate(List.of(), "local.feed_job").asText()
                + ":run");
  }

  @Test
  void feedArgumentsAreOnesEventflowFeedAccepts() {
    List<String> args = new ArrayList<>();
    evaluate(List.of("feed_rate=250"), "local.feed_args").forEach(a -> args.add(a.asText()));

    CliContext context =
        new CliContext(
            Map.<String, String>of()::get,
            new ByteArrayInputStream(new byte[0]),
            Clock.systemUTC(),
            Ticker.systemTicker(),
            () -> 1L,
            hook -> () -> {});
    CommandLine eventflow = EventflowCommand.commandLine(context);
    ParseResult parsed = eventflow.parseArgs(args.toArray(String[]::new));
    ParseResult feed = parsed.subcommand();
    assertThat(feed).isNotNull();
    assertThat(feed.commandSpec().name()).isEqualTo("feed");
    assertThat(feed.unmatched()).isEmpty();
    assertThat((Double) feed.matchedOptionValue("--rate", 0.0)).isEqualTo(250.0);
    // Each minute's run stops publishing before the next one starts.
    Duration duration = feed.matchedOptionValue("--duration", Duration.ZERO);
    assertThat(duration).isPositive().isLessThan(Duration.ofMinutes(1));
    assertThat((String) feed.matchedOptionValue("--topic", ""))
        .isEqualTo("projects/demo-project/topics/events");
  }

  @Test
  void feedRateMustBeWhatOneTaskCanPublish() {
    for (String rate : List.of("0", "-5", "5001")) {
      assertThat(validationErrors(List.of("feed_rate=" + rate)))
          .as(rate)
          .contains("feed_rate is between 0 (exclusive) and 5000");
    }
    assertThat(evaluate(List.of("feed_rate=5000"), "var.feed_rate").asInt()).isEqualTo(5000);
  }

  @Test
  void operatorsFindTheServicesInTheOutputs() {
    assertThat(config.outputs())
        .containsKeys(
            "image_repository",
            "collector_url",
            "collector_api_keys_secret",
            "mqtt_secrets",
            "mqtt_dead_letter_subscription",
            "feed_schedule",
            "feed_args");
    assertThat(config.outputs().get("feed_args").get("value")).isEqualTo("local.feed_args");
  }

  @Test
  void everyServicePublishesItsMetricsToCloudMonitoring() {
    // Cloud Run routes one port per service, so /metrics is out of reach; each service also
    // publishes its meters to Cloud Monitoring in the deployment's project, its series labelled
    // with the deployment's region.
    for (String env : List.of("local.collector_env", "local.mqtt_env")) {
      JsonNode values = evaluate(List.of("region=europe-west1"), env);
      assertThat(values.get(CLOUD_MONITORING_PROJECT).asText()).as(env).isEqualTo(PROJECT);
      assertThat(values.get(CLOUD_MONITORING_LOCATION).asText()).as(env).isEqualTo("europe-west1");
    }
    Map<String, Object> query =
        single(
            single(config.resource("google_cloud_run_v2_service.query"), "template"), "containers");
    assertThat(nested(query, "env"))
        .anySatisfy(
            e -> {
              assertThat(e.get("name")).isEqualTo(CLOUD_MONITORING_PROJECT);
              assertThat(e.get("value")).isEqualTo("var.project_id");
            })
        .anySatisfy(
            e -> {
              assertThat(e.get("name")).isEqualTo(CLOUD_MONITORING_LOCATION);
              assertThat(e.get("value")).isEqualTo("var.region");
            });
  }

  @Test
  void schedulerApiIsEnabled() {
    assertThat(config.sources().get("apis.tf")).contains("\"cloudscheduler.googleapis.com\",");
  }

  /** The template of a Cloud Run service. */
  private static Map<String, Object> template(String service) {
    return single(config.resource("google_cloud_run_v2_service." + service), "template");
  }

  private static void assertHttpProbe(
      Map<String, Object> container, String probe, String path, int port) {
    Map<String, Object> get = single(single(container, probe), "http_get");
    assertThat(get.get("path")).as(probe).isEqualTo(path);
    assertThat(((Number) get.get("port")).intValue()).as(probe).isEqualTo(port);
  }

  /** A member's grants, without the monitoring role monitoring.tf grants every workload. */
  private static Set<String> rolesOf(String member) {
    Set<String> roles = new TreeSet<>(config.grantsOf(member));
    roles.remove(METRIC_WRITER);
    return roles;
  }

  /** Evaluates an expression for {@link #PROJECT}; skips the test without terraform. */
  private static JsonNode evaluate(List<String> vars, String expression) {
    assumeTrue(
        terraform.isPresent(),
        "terraform is not on the PATH: skipping the evaluation of the services' environment");
    List<String> all = new ArrayList<>();
    all.add("project_id=" + PROJECT);
    all.addAll(vars);
    return terraform.get().evaluate(sandbox, all, expression);
  }

  /** What terraform console reports for variables that fail their validation. */
  private static String validationErrors(List<String> vars) {
    assumeTrue(terraform.isPresent(), "terraform is not on the PATH: skipping validations");
    List<String> args = new ArrayList<>(List.of("console", "-var", "project_id=" + PROJECT));
    for (String var : vars) {
      args.add("-var");
      args.add(var);
    }
    return terraform.get().run(sandbox, args, "var.region\n").stderr();
  }

  private static Map<String, String> strings(JsonNode object) {
    Map<String, String> values = new TreeMap<>();
    object.properties().forEach(e -> values.put(e.getKey(), e.getValue().asText()));
    return new HashMap<>(values);
  }
}
