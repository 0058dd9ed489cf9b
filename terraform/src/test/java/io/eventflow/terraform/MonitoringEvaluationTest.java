package io.eventflow.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * monitoring.tf evaluated by the real {@code terraform} binary, where one is installed (skipped
 * with a message otherwise): its templates render to exactly what {@link MonitoringTemplates}
 * renders (so {@link MonitoringConfigTest}'s checks hold for what Terraform sends), and its
 * variables' validations accept the defaults and refuse bad values. Formatting is checked with the
 * rest of the directory by {@link TerraformEvaluationTest}.
 */
class MonitoringEvaluationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path sandbox;

  private static TerraformConfig config;
  private static TerraformCli terraform;

  @BeforeAll
  static void findTerraform() throws IOException {
    Optional<TerraformCli> found = TerraformCli.find();
    assumeTrue(
        found.isPresent(),
        "terraform is not on the PATH: skipping the evaluation of monitoring.tf (install"
            + " Terraform >= 1.5 to run it)");
    terraform = found.get();
    config = TerraformConfig.load(Path.of(""));
    TerraformCli.sandbox(config, sandbox, List.of());
    // monitoring.tf's inputs and locals, without its resources (console needs no provider then).
    String monitoring = config.sources().get("monitoring.tf");
    List<String> blocks = new ArrayList<>();
    Matcher variable = Pattern.compile("(?m)^variable \"([a-z0-9_]+)\" \\{$").matcher(monitoring);
    while (variable.find()) {
      blocks.addAll(TerraformCli.topLevelBlocks(monitoring, variable.group()));
    }
    blocks.addAll(TerraformCli.topLevelBlocks(monitoring, "locals {"));
    Files.writeString(
        sandbox.resolve("monitoring_inputs.tf"),
        String.join("\n", blocks).replace("${path.module}", config.directory().toString()),
        StandardCharsets.UTF_8);
  }

  @Test
  void dashboardRendersAsTheOfflineChecksRenderIt() throws IOException {
    JsonNode rendered =
        JSON.readTree(evaluate(List.of(), "local.pipeline_dashboard_json").asText());
    JsonNode offline =
        JSON.readTree(new MonitoringTemplates(config).renderLocal("pipeline_dashboard_json"));
    assertThat(rendered).isEqualTo(offline);
  }

  @Test
  void deadLetterRatioRendersAsTheOfflineChecksRenderIt() {
    assertThat(evaluate(List.of(), "local.dead_letter_ratio").asText())
        .isEqualTo(new MonitoringTemplates(config).renderLocal("dead_letter_ratio"));
  }

  @Test
  void thresholdsReachTheDashboard() throws IOException {
    JsonNode dashboard =
        JSON.readTree(
            evaluate(
                    List.of("alert_query_p99_ms=250", "alert_watermark_lag_seconds=90"),
                    "local.pipeline_dashboard_json")
                .asText());
    List<Double> thresholds = new ArrayList<>();
    dashboard
        .findValues("thresholds")
        .forEach(t -> t.forEach(v -> thresholds.add(v.get("value").asDouble())));
    assertThat(thresholds).contains(250.0, 90.0, 600.0, 0.01);
  }

  @Test
  void notificationChannelsMustBeChannelIds() {
    assertThat(evaluate(List.of(), "var.notification_channels").size()).isZero();
    assertThat(
            evaluate(
                    List.of("notification_channels=[\"projects/p/notificationChannels/123\"]"),
                    "var.notification_channels")
                .get(0)
                .asText())
        .isEqualTo("projects/p/notificationChannels/123");
    TerraformCli.Result refused =
        terraform.run(
            sandbox,
            List.of(
                "console",
                "-var",
                "project_id=demo-project",
                "-var",
                "notification_channels=[\"ops@example.com\"]"),
            "var.notification_channels\n");
    assertThat(refused.stderr()).contains("Each notification channel is an id");
  }

  @Test
  void deadLetterRatioMustBeAFraction() {
    TerraformCli.Result refused =
        terraform.run(
            sandbox,
            List.of(
                "console", "-var", "project_id=demo-project", "-var", "alert_dead_letter_ratio=1"),
            "var.alert_dead_letter_ratio\n");
    assertThat(refused.stderr()).contains("alert_dead_letter_ratio is a fraction between 0 and 1");
  }

  private static JsonNode evaluate(List<String> vars, String expression) {
    List<String> all = new ArrayList<>();
    all.add("project_id=demo-project");
    all.addAll(vars);
    return terraform.evaluate(sandbox, all, expression);
  }
}
