package io.eventflow.terraform;

import static io.eventflow.terraform.TerraformConfig.nested;
import static io.eventflow.terraform.TerraformConfig.single;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.collector.CollectorConfig;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.ParseEvents;
import io.eventflow.mqtt.BridgeConfig;
import io.eventflow.timeseries.srv.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Offline checks of the observability configuration (monitoring.tf, dashboards/): the dashboard,
 * the alert policies and the metric-writer grants exist and reference each other; the thresholds
 * are the documented ones; the dashboard renders to valid JSON; and every metric the dashboard and
 * the alerts name is one the code exports, with the labels they select by: the services' meters as
 * the running services publish them (to a fake of the Monitoring API), the Beam counters as the
 * jobs' code names them, and Google's own Dataflow and Pub/Sub metrics from a list kept here.
 */
class MonitoringConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The repository root: this module is its terraform/ directory. */
  private static final Path REPO = Path.of("").toAbsolutePath().getParent();

  /**
   * Google's metrics the configuration uses, with their monitored resource types (from Google
   * Cloud's metrics list: dataflow.googleapis.com and pubsub.googleapis.com). Nothing in this
   * repository exports them, so they are checked against this list.
   */
  private static final Map<String, String> GOOGLE_METRICS =
      Map.of(
          "dataflow.googleapis.com/job/data_watermark_age", "dataflow_job",
          "dataflow.googleapis.com/job/system_lag", "dataflow_job",
          "dataflow.googleapis.com/job/user_counter", "dataflow_job",
          "pubsub.googleapis.com/subscription/oldest_unacked_message_age", "pubsub_subscription",
          "pubsub.googleapis.com/subscription/num_undelivered_messages", "pubsub_subscription");

  /** Dataflow's Beam counters in PromQL: Cloud Monitoring's name mapping of job/user_counter. */
  private static final String USER_COUNTER_PROMQL = "dataflow_googleapis_com:job_user_counter";

  private static final List<String> ALERTS =
      List.of(
          "watermark_lag", "dead_letters", "query_latency", "oldest_unacked", "dead_letter_holds");

  private static TerraformConfig config;
  private static String monitoringTf;
  private static MonitoringTemplates templates;
  private static PublishedMetrics published;

  @BeforeAll
  static void load() throws Exception {
    config = TerraformConfig.load(Path.of(""));
    monitoringTf = config.sources().get("monitoring.tf");
    templates = new MonitoringTemplates(config);
    published = PublishedMetrics.collect();
  }

  @Test
  void dashboardAlertsAndTheirApiExist() {
    assertThat(monitoringTf).as("monitoring.tf").isNotNull();
    assertThat(config.resources().keySet())
        .contains(
            "google_project_service.monitoring",
            "google_monitoring_dashboard.pipeline",
            "google_project_iam_member.services_write_metrics");
    for (String alert : ALERTS) {
      assertThat(config.resources()).containsKey("google_monitoring_alert_policy." + alert);
    }
    assertThat(config.resource("google_project_service.monitoring"))
        .containsEntry("service", "monitoring.googleapis.com")
        .containsEntry("disable_on_destroy", false);
    // The dashboard is the rendered template, read module-relative.
    assertThat(config.resource("google_monitoring_dashboard.pipeline").get("dashboard_json"))
        .isEqualTo("local.pipeline_dashboard_json");
    assertThat(monitoringTf)
        .contains("templatefile(\"${path.module}/dashboards/pipeline.json\", {")
        .contains("templatefile(\"${path.module}/dashboards/dead-letter-ratio.promql\", {");
    assertThat(config.directory().resolve("dashboards/pipeline.json")).isRegularFile();
  }

  @Test
  void everyAlertNotifiesTheConfiguredChannelsAndSaysWhatToDo() {
    Map<String, Object> channels = config.variables().get("notification_channels");
    // Empty by default: the policies exist and open incidents, and notify nobody.
    assertThat(channels.get("default")).isEqualTo(List.of());
    assertThat(monitoringTf)
        .contains("can(regex(\"^projects/[^/]+/notificationChannels/[0-9]+$\", channel))");
    for (String alert : ALERTS) {
      Map<String, Object> policy = config.resource("google_monitoring_alert_policy." + alert);
      assertAttribute(alert(alert), "notification_channels", "var.notification_channels");
      assertThat(policy.get("combiner")).as(alert).isEqualTo("OR");
      assertThat((String) single(policy, "documentation").get("content")).as(alert).isNotBlank();
      assertThat(nested(policy, "conditions")).as(alert).hasSize(1);
      assertThat(String.valueOf(policy.get("depends_on")))
          .as(alert)
          .contains("google_project_service.monitoring");
    }
  }

  @Test
  void thresholdsAreTheDocumentedOnes() {
    assertThat(number(config.variables().get("alert_watermark_lag_seconds").get("default")))
        .isEqualByComparingTo("120");
    assertThat(number(config.variables().get("alert_dead_letter_ratio").get("default")))
        .isEqualByComparingTo("0.01");
    assertThat(number(config.variables().get("alert_query_p99_ms").get("default")))
        .isEqualByComparingTo("500");
    assertThat(number(config.variables().get("alert_oldest_unacked_seconds").get("default")))
        .isEqualByComparingTo("600");

    String watermark = alert("watermark_lag");
    assertAttribute(watermark, "threshold_value", "var.alert_watermark_lag_seconds");
    assertAttribute(watermark, "comparison", "\"COMPARISON_GT\"");
    assertAttribute(watermark, "duration", "\"300s\"");

    String latency = alert("query_latency");
    assertAttribute(latency, "threshold_value", "var.alert_query_p99_ms");
    assertAttribute(latency, "duration", "\"300s\"");
    // A distribution in milliseconds (eventflow-metrics): the 99th percentile over every series.
    assertAttribute(latency, "per_series_aligner", "\"ALIGN_SUM\"");
    assertAttribute(latency, "cross_series_reducer", "\"REDUCE_PERCENTILE_99\"");

    String unacked = alert("oldest_unacked");
    assertAttribute(unacked, "threshold_value", "var.alert_oldest_unacked_seconds");
    assertAttribute(unacked, "duration", "\"60s\"");

    String deadLetters = alert("dead_letters");
    assertAttribute(deadLetters, "duration", "\"300s\"");
    assertThat(strings(deadLetters, "query"))
        .containsExactly("(" + templates.renderLocal("dead_letter_ratio") + ") > 0.01");

    String holds = alert("dead_letter_holds");
    assertAttribute(holds, "threshold_value", "0");
    assertAttribute(holds, "duration", "\"0s\"");
  }

  @Test
  void servicesThatPublishMayWriteMetrics() {
    assertThat(config.resources()).containsKey("google_project_iam_member.services_write_metrics");
    String grant = block("resource \"google_project_iam_member\" \"services_write_metrics\" {");
    assertAttribute(grant, "role", "\"roles/monitoring.metricWriter\"");
    assertAttribute(grant, "project", "var.project_id");
    assertAttribute(grant, "member", "each.value");
    Map<String, String> members = new TreeMap<>();
    Matcher entry =
        Pattern.compile("(?m)^\\s+([a-z_]+)\\s+=\\s+google_service_account\\.([a-z_]+)\\.member$")
            .matcher(grant);
    while (entry.find()) {
      members.put(entry.group(1), entry.group(2));
    }
    assertThat(members).containsEntry("query", "query");
    // Every service account of a service that exports metrics, once it exists, is granted.
    for (String service : List.of("collector", "mqtt")) {
      if (config.resources().containsKey("google_service_account." + service)) {
        assertThat(members).containsEntry(service, service);
      }
    }
    // Only the services: the jobs' accounts write metrics through roles/dataflow.worker.
    assertThat(members.keySet()).isSubsetOf("query", "collector", "mqtt");
  }

  @Test
  void serviceJobLabelsAreTheServicesOwn() {
    Map<String, Object> locals = config.blocks("locals");
    assertThat(locals.get("monitoring_query_job")).isEqualTo(ServerConfig.MONITORING_JOB);
    assertThat(locals.get("monitoring_collector_job")).isEqualTo(CollectorConfig.MONITORING_JOB);
    assertThat(locals.get("monitoring_mqtt_job")).isEqualTo(BridgeConfig.MONITORING_JOB);
  }

  @Test
  void dashboardRendersToValidJsonWithEveryTileOnTheGrid() throws IOException {
    JsonNode dashboard = JSON.readTree(templates.renderLocal("pipeline_dashboard_json"));
    assertThat(dashboard.get("displayName").asText()).isEqualTo("eventflow pipeline");
    JsonNode layout = dashboard.get("mosaicLayout");
    int columns = layout.get("columns").asInt();
    List<int[]> cells = new ArrayList<>();
    for (JsonNode tile : layout.get("tiles")) {
      int x = tile.get("xPos").asInt();
      int y = tile.get("yPos").asInt();
      int w = tile.get("width").asInt();
      int h = tile.get("height").asInt();
      assertThat(x + w).as("tile %s", tile.at("/widget/title")).isLessThanOrEqualTo(columns);
      for (int[] other : cells) {
        boolean overlaps =
            x < other[0] + other[2]
                && other[0] < x + w
                && y < other[1] + other[3]
                && other[1] < y + h;
        assertThat(overlaps).as("tile %s overlaps another", tile.at("/widget/title")).isFalse();
      }
      cells.add(new int[] {x, y, w, h});
      assertThat(tile.at("/widget/title").asText()).isNotBlank();
      for (JsonNode dataSet : tile.at("/widget/xyChart/dataSets")) {
        JsonNode query = dataSet.get("timeSeriesQuery");
        assertThat(query.size()).as("one query per data set").isEqualTo(1);
      }
    }
    // What the issue asks the dashboard to show, by the metrics that show it.
    String text = dashboard.toString();
    assertThat(text)
        .contains(
            "dataflow.googleapis.com/job/data_watermark_age",
            "dataflow.googleapis.com/job/system_lag",
            "pubsub.googleapis.com/subscription/oldest_unacked_message_age",
            "pubsub.googleapis.com/subscription/num_undelivered_messages",
            USER_COUNTER_PROMQL,
            "custom.googleapis.com/grpc/server/processing/duration",
            "custom.googleapis.com/eventflow/timeseries/cache/lookups",
            "custom.googleapis.com/eventflow/collector/events/accepted",
            "custom.googleapis.com/eventflow/collector/http/requests",
            "custom.googleapis.com/eventflow/mqtt/in/flight");
  }

  @Test
  void everyServiceMetricTheDashboardAndAlertsNameIsPublishedByItsService() throws IOException {
    List<Filter> filters = filters();
    assertThat(filters).isNotEmpty();
    int custom = 0;
    for (Filter filter : filters) {
      if (!filter.metricType().startsWith("custom.googleapis.com/")) {
        continue;
      }
      custom++;
      String type = filter.metricType();
      assertThat(published.labels()).as("published metric types").containsKey(type);
      assertThat(filter.resourceType()).as(type).isEqualTo("generic_task");
      assertThat(filter.resourceLabels().get("job"))
          .as("job of %s", type)
          .isNotEmpty()
          .allSatisfy(job -> assertThat(published.jobs().get(type)).contains(job));
      assertThat(published.labels().get(type))
          .as("labels of %s", type)
          .containsAll(filter.metricLabels());
    }
    assertThat(custom).isGreaterThanOrEqualTo(8);
  }

  @Test
  void everyGoogleMetricIsKnownAndSelectsTheDeployedJobsAndSubscriptions() throws IOException {
    Set<String> jobs = Set.of(templates.local("ingest_job"), templates.local("rollups_job"));
    Set<String> subscriptions = new TreeSet<>();
    config
        .resources()
        .forEach(
            (address, body) -> {
              if (address.startsWith("google_pubsub_subscription.")) {
                subscriptions.add(templates.substitute(String.valueOf(body.get("name"))));
              }
            });
    for (Filter filter : filters()) {
      if (filter.metricType().startsWith("custom.googleapis.com/")) {
        continue;
      }
      assertThat(GOOGLE_METRICS).as("Google metrics").containsKey(filter.metricType());
      assertThat(filter.resourceType())
          .as(filter.metricType())
          .isEqualTo(GOOGLE_METRICS.get(filter.metricType()));
      if (filter.resourceType().equals("dataflow_job")) {
        assertThat(filter.resourceLabels().get("job_name")).isNotEmpty().isSubsetOf(jobs);
      } else {
        assertThat(filter.resourceLabels().get("subscription_id"))
            .isNotEmpty()
            .isSubsetOf(subscriptions);
      }
    }
  }

  @Test
  void everyPipelineCounterTheDashboardAndAlertsNameIsOneTheJobsCount() throws IOException {
    Set<String> counters = beamCounterNames();
    Set<String> jobs = Set.of(templates.local("ingest_job"), templates.local("rollups_job"));
    List<Selector> selectors = selectors();
    assertThat(selectors).hasSizeGreaterThanOrEqualTo(5);
    for (Selector selector : selectors) {
      assertThat(selector.metric()).isEqualTo(USER_COUNTER_PROMQL);
      assertThat(selector.only("monitored_resource")).isEqualTo("dataflow_job");
      for (Matcher3 m : selector.matchers()) {
        switch (m.label()) {
          case "monitored_resource" -> {}
          case "job_name" -> assertThat(Set.of(m.value().split("\\|"))).isSubsetOf(jobs);
          case "metric_name" -> {
            if (m.op().equals("=~")) {
              Pattern regex = Pattern.compile(m.value());
              assertThat(counters)
                  .as("counters matching %s", m.value())
                  .anyMatch(c -> regex.matcher(c).matches());
            } else {
              assertThat(counters).contains(m.value());
            }
          }
          default -> throw new AssertionError("unexpected label " + m.label() + " in " + selector);
        }
      }
    }
  }

  @Test
  void deadLetterRatioCountsEveryDeadLetterOverEveryMessageOnce() {
    List<Selector> ratio = selectorsOf(templates.renderLocal("dead_letter_ratio"));
    assertThat(ratio).hasSize(2);
    Set<String> deadLetters = new TreeSet<>();
    Set<String> messages = new TreeSet<>();
    for (InvalidReason reason : reasons()) {
      deadLetters.add(ParseEvents.invalidCounterName(reason));
      if (reason != InvalidReason.BIGQUERY_INSERT_FAILED) {
        // A row BigQuery rejects was counted as a valid event when it was parsed.
        messages.add(ParseEvents.invalidCounterName(reason));
      }
    }
    Set<String> valid =
        Set.of(ParseEvents.validCounterName("purchase"), ParseEvents.validCounterName("signup"));
    messages.addAll(valid);
    Set<String> others = new TreeSet<>(beamCounterNames());
    others.addAll(valid);

    assertThat(counted(ratio.get(0), others)).isEqualTo(deadLetters);
    assertThat(counted(ratio.get(1), others)).isEqualTo(messages);
    assertThat(ratio.get(0).only("job_name")).isEqualTo(templates.local("ingest_job"));
    assertThat(ratio.get(1).only("job_name")).isEqualTo(templates.local("ingest_job"));
  }

  // --- The jobs' counters -----------------------------------------------------------------------

  /**
   * The Beam counter names the jobs' code counts under: ParseEvents' per-type and per-reason names
   * (computed by its own methods), and every name written as a literal in a {@code
   * Metrics.counter(namespace, "name")} call of the pipeline modules.
   */
  static Set<String> beamCounterNames() {
    Set<String> names = new TreeSet<>();
    for (InvalidReason reason : reasons()) {
      names.add(ParseEvents.invalidCounterName(reason));
    }
    names.add(ParseEvents.validCounterName("purchase"));
    Pattern literal = Pattern.compile("Metrics\\.counter\\(\\s*[^,()]+,\\s*\"([^\"]+)\"\\s*\\)");
    for (String module :
        List.of("eventflow-ingest", "eventflow-timeseries-rollups", "eventflow-beam")) {
      try (Stream<Path> files = Files.walk(REPO.resolve(module).resolve("src/main/java"))) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          Matcher m = literal.matcher(Files.readString(file, StandardCharsets.UTF_8));
          while (m.find()) {
            names.add(m.group(1));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return names;
  }

  private static List<InvalidReason> reasons() {
    return Stream.of(InvalidReason.values())
        .filter(r -> r != InvalidReason.UNRECOGNIZED && r.getNumber() != 0)
        .toList();
  }

  /** The names among {@code names} a selector's metric_name matchers admit. */
  private static Set<String> counted(Selector selector, Set<String> names) {
    Set<String> admitted = new TreeSet<>();
    for (String name : names) {
      boolean all = true;
      for (Matcher3 m : selector.matchers()) {
        if (!m.label().equals("metric_name")) {
          continue;
        }
        all &=
            switch (m.op()) {
              case "=" -> name.equals(m.value());
              case "!=" -> !name.equals(m.value());
              case "=~" -> Pattern.compile(m.value()).matcher(name).matches();
              case "!~" -> !Pattern.compile(m.value()).matcher(name).matches();
              default -> throw new AssertionError(m.op());
            };
      }
      if (all) {
        admitted.add(name);
      }
    }
    return admitted;
  }

  // --- Filters and PromQL selectors of the dashboard and the alerts
  // -------------------------------

  /**
   * A Cloud Monitoring filter: its metric type, resource type, the values it selects resource
   * labels by, and the metric labels it filters or groups by.
   */
  record Filter(
      String text,
      String metricType,
      String resourceType,
      Map<String, Set<String>> resourceLabels,
      Set<String> metricLabels) {}

  /** One label matcher of a PromQL selector. */
  record Matcher3(String label, String op, String value) {}

  /** A PromQL selector: the metric name and its label matchers. */
  record Selector(String metric, List<Matcher3> matchers) {
    String only(String label) {
      List<String> values =
          matchers.stream().filter(m -> m.label().equals(label)).map(Matcher3::value).toList();
      assertThat(values).as("%s in %s", label, this).hasSize(1);
      return values.get(0);
    }
  }

  private static final Pattern METRIC_TYPE = Pattern.compile("metric\\.type\\s*=\\s*\"([^\"]+)\"");
  private static final Pattern RESOURCE_TYPE =
      Pattern.compile("resource\\.type\\s*=\\s*\"([^\"]+)\"");
  private static final Pattern RESOURCE_LABEL =
      Pattern.compile(
          "resource\\.labels?\\.\"?([a-z_]+)\"?\\s*=\\s*(?:one_of\\(([^)]*)\\)|\"([^\"]*)\")");
  private static final Pattern METRIC_LABEL =
      Pattern.compile("metric\\.labels?\\.\"?([A-Za-z0-9_]+)\"?");
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");
  private static final Pattern SELECTOR = Pattern.compile("([a-z_]+:[a-z_]+)\\{([^}]*)\\}");
  private static final Pattern LABEL_MATCHER =
      Pattern.compile("([a-z_]+)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");

  /** Every filter of the rendered dashboard and of the alert policies. */
  private static List<Filter> filters() throws IOException {
    List<Filter> filters = new ArrayList<>();
    JsonNode dashboard = JSON.readTree(templates.renderLocal("pipeline_dashboard_json"));
    dashboard
        .findParents("filter")
        .forEach(
            parent -> {
              Set<String> groupBy = new TreeSet<>();
              parent
                  .path("aggregation")
                  .path("groupByFields")
                  .forEach(f -> groupBy.add(f.asText()));
              filters.add(filter(parent.get("filter").asText(), groupBy));
            });
    for (String alert : ALERTS) {
      String text = alert(alert);
      List<String> alertFilters = strings(text, "filter");
      if (alertFilters.isEmpty()) {
        continue; // a PromQL condition: see selectors()
      }
      assertThat(alertFilters).as(alert).hasSize(1);
      Set<String> groupBy = new TreeSet<>();
      Matcher fields = Pattern.compile("group_by_fields\\s+=\\s+\\[(.*)\\]").matcher(text);
      if (fields.find()) {
        Matcher field = HCL_STRING.matcher(fields.group(1));
        while (field.find()) {
          groupBy.add(templates.evaluateString(field.group(1)));
        }
      }
      filters.add(filter(alertFilters.get(0), groupBy));
    }
    return filters;
  }

  private static Filter filter(String text, Set<String> groupBy) {
    Matcher type = METRIC_TYPE.matcher(text);
    assertThat(type.find()).as("metric.type in %s", text).isTrue();
    Matcher resource = RESOURCE_TYPE.matcher(text);
    assertThat(resource.find()).as("resource.type in %s", text).isTrue();
    Map<String, Set<String>> resourceLabels = new TreeMap<>();
    Matcher label = RESOURCE_LABEL.matcher(text);
    while (label.find()) {
      Set<String> values = resourceLabels.computeIfAbsent(label.group(1), k -> new TreeSet<>());
      if (label.group(2) != null) {
        Matcher quoted = QUOTED.matcher(label.group(2));
        while (quoted.find()) {
          values.add(quoted.group(1));
        }
      } else {
        values.add(label.group(3));
      }
    }
    Set<String> metricLabels = new TreeSet<>();
    Matcher metricLabel = METRIC_LABEL.matcher(text + " " + String.join(" ", groupBy));
    while (metricLabel.find()) {
      metricLabels.add(metricLabel.group(1));
    }
    // Grouping by a resource label must name one the resource has.
    for (String field : groupBy) {
      if (field.startsWith("resource.")) {
        Matcher m = Pattern.compile("resource\\.labels?\\.\"?([a-z_]+)\"?").matcher(field);
        assertThat(m.matches()).as(field).isTrue();
        assertThat(resourceLabels).as("grouped by %s in %s", field, text).containsKey(m.group(1));
      }
    }
    return new Filter(text, type.group(1), resource.group(1), resourceLabels, metricLabels);
  }

  /** Every PromQL selector of the rendered dashboard and of the alert policies. */
  private static List<Selector> selectors() throws IOException {
    List<Selector> selectors = new ArrayList<>();
    JsonNode dashboard = JSON.readTree(templates.renderLocal("pipeline_dashboard_json"));
    dashboard.findValues("prometheusQuery").forEach(q -> selectors.addAll(selectorsOf(q.asText())));
    for (String alert : ALERTS) {
      strings(alert(alert), "query").forEach(q -> selectors.addAll(selectorsOf(q)));
    }
    return selectors;
  }

  private static List<Selector> selectorsOf(String promql) {
    List<Selector> selectors = new ArrayList<>();
    Matcher m = SELECTOR.matcher(promql);
    while (m.find()) {
      List<Matcher3> matchers = new ArrayList<>();
      Matcher l = LABEL_MATCHER.matcher(m.group(2));
      while (l.find()) {
        matchers.add(new Matcher3(l.group(1), l.group(2), l.group(3)));
      }
      selectors.add(new Selector(m.group(1), matchers));
    }
    return selectors;
  }

  private static BigDecimal number(Object value) {
    return new BigDecimal(String.valueOf(value));
  }

  /** An HCL string literal's contents: anything but quotes and backslashes, or an escape. */
  private static final Pattern HCL_STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** The source text of a top-level block of monitoring.tf, from its header line. */
  private static String block(String header) {
    List<String> blocks = TerraformCli.topLevelBlocks(monitoringTf, header);
    assertThat(blocks).as(header).hasSize(1);
    return blocks.get(0);
  }

  /**
   * The source text of an alert policy. Its attributes are read from the text: hcl4j resolves a
   * reference to a variable of the same file to the variable's default, and one to another file's
   * variable to nothing, so its parsed values cannot tell a reference from a literal.
   */
  private static String alert(String name) {
    return block("resource \"google_monitoring_alert_policy\" \"" + name + "\" {");
  }

  /** Asserts an attribute is written as {@code name = value} (terraform fmt aligns the "="). */
  private static void assertAttribute(String block, String name, String value) {
    assertThat(block)
        .containsPattern(
            "(?m)^\\s+" + Pattern.quote(name) + "\\s+=\\s+" + Pattern.quote(value) + "$");
  }

  /** The string values of an attribute in a block, evaluated (escapes, locals, variables). */
  private static List<String> strings(String block, String attribute) {
    List<String> values = new ArrayList<>();
    Matcher m =
        Pattern.compile("(?m)^\\s+" + Pattern.quote(attribute) + "\\s+=\\s+" + HCL_STRING + "$")
            .matcher(block);
    while (m.find()) {
      values.add(templates.evaluateString(m.group(1)));
    }
    return values;
  }
}
