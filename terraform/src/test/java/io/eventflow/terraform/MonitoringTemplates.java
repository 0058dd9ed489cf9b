package io.eventflow.terraform;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The templates monitoring.tf renders with {@code templatefile} (the dashboard, the dead-letter
 * ratio), rendered here as Terraform does, without the binary: for {@code ${name}}, {@code
 * ${jsonencode(name)}} and the {@code $${} escape, the only forms the templates use, with the
 * arguments the call passes (string literals, locals, variables' defaults).
 * MonitoringEvaluationTest compares the result with the real binary's where one is installed.
 */
final class MonitoringTemplates {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern INTERPOLATION =
      Pattern.compile("\\$\\$\\{|\\$\\{(?:(jsonencode)\\()?([a-z0-9_]+)\\)?\\}");
  private static final Pattern REFERENCE = Pattern.compile("\\b(local|var)\\.([a-z0-9_]+)\\b");

  private final TerraformConfig config;
  private final String monitoringTf;

  MonitoringTemplates(TerraformConfig config) {
    this.config = config;
    this.monitoringTf = config.sources().get("monitoring.tf");
    assertThat(monitoringTf).as("monitoring.tf").isNotNull();
  }

  /** Renders the template that local {@code name} of monitoring.tf reads with templatefile. */
  String renderLocal(String name) {
    Pattern call =
        Pattern.compile(
            "\\n  "
                + name
                + " = (trimspace\\()?templatefile\\(\"\\$\\{path\\.module\\}/([^\"]+)\","
                + " \\{\\n(.*?)\\n  \\}\\)\\)?\\n",
            Pattern.DOTALL);
    Matcher m = call.matcher(monitoringTf);
    assertThat(m.find()).as("templatefile call of local.%s", name).isTrue();
    Map<String, Object> vars = new LinkedHashMap<>();
    for (String line : m.group(3).split("\n")) {
      String[] kv = line.strip().split("\\s*=\\s*", 2);
      vars.put(kv[0], value(kv[1]));
    }
    String template;
    try {
      template = Files.readString(config.directory().resolve(m.group(2)), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StringBuilder out = new StringBuilder();
    Matcher i = INTERPOLATION.matcher(template);
    while (i.find()) {
      String replacement;
      if (i.group().equals("$${")) {
        replacement = "${";
      } else {
        Object v = vars.get(i.group(2));
        assertThat(v).as("template variable %s of %s", i.group(2), m.group(2)).isNotNull();
        replacement = i.group(1) != null ? quote(text(v)) : text(v);
      }
      i.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    i.appendTail(out);
    return m.group(1) != null ? out.toString().strip() : out.toString();
  }

  /** Returns a local's value as text: rendered if it is a template, else as hcl4j parsed it. */
  String local(String name) {
    return text(localValue(name));
  }

  /** Replaces every {@code local.X} and {@code var.X} that hcl4j left as text by its value. */
  String substitute(String text) {
    StringBuilder out = new StringBuilder();
    Matcher m = REFERENCE.matcher(text);
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(text(value(m.group()))));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * Returns an HCL string literal's text as Terraform evaluates it: escapes undone and every {@code
   * ${local.X}} and {@code ${var.X}} replaced by its value (variables: their defaults).
   */
  String evaluateString(String literal) {
    String text = literal.replace("\\\"", "\"").replace("\\\\", "\\");
    StringBuilder out = new StringBuilder();
    Matcher m = Pattern.compile("\\$\\{((?:local|var)\\.[a-z0-9_]+)\\}").matcher(text);
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(text(value(m.group(1)))));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The value of an expression: a string literal, a local or a variable (its default). */
  private Object value(String expression) {
    if (expression.startsWith("\"")) {
      return expression.substring(1, expression.length() - 1);
    }
    Matcher ref = REFERENCE.matcher(expression);
    assertThat(ref.matches()).as("a local or variable: %s", expression).isTrue();
    return ref.group(1).equals("var")
        ? config.variables().get(ref.group(2)).get("default")
        : localValue(ref.group(2));
  }

  private Object localValue(String name) {
    if (monitoringTf.contains("\n  " + name + " = trimspace(templatefile(")
        || monitoringTf.contains("\n  " + name + " = templatefile(")) {
      return renderLocal(name);
    }
    Object value = config.blocks("locals").get(name);
    assertThat(value).as("local.%s", name).isNotNull();
    return value;
  }

  /** A value as Terraform writes it into a string: numbers without a trailing ".0". */
  static String text(Object value) {
    if (value instanceof Number n) {
      return new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
    }
    return String.valueOf(value);
  }

  private static String quote(String text) {
    try {
      return JSON.writeValueAsString(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
