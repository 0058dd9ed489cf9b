package io.eventflow.mqtt;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Names the event fields an MQTT topic carries, level by level: {@code
 * devices/{customer}/{source}/{type}} reads {@code devices/acme/sensor-1/reading} as customer
 * {@code acme}, source {@code sensor-1}, type {@code reading}.
 *
 * <p>A level is either literal text, which the topic must repeat exactly, or one {@code {name}}
 * placeholder, which takes the whole level: {@code type}, {@code source} and {@code customer} fill
 * those event fields, any other name becomes a string attribute of that name, and {@code {_}}
 * matches a level and keeps nothing. A template without placeholders (e.g. {@code
 * eventflow/events}) is for payloads that are already eventflow events. Each template also gives
 * the subscription filter that receives its topics: placeholders become {@code +}.
 */
public final class TopicTemplate {
  /** The placeholders that fill event fields rather than attributes. */
  static final String TYPE = "type";

  static final String SOURCE = "source";
  static final String CUSTOMER = "customer";

  /** A placeholder that matches any level and keeps nothing. */
  private static final String IGNORED = "_";

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");

  private final String text;

  /** One entry per level: the literal text, or null where the level is a placeholder. */
  private final List<String> literals;

  /** One entry per level: the placeholder's name, or null where the level is literal. */
  private final List<String> names;

  private TopicTemplate(String text, List<String> literals, List<String> names) {
    this.text = text;
    this.literals = literals;
    this.names = names;
  }

  /**
   * Parses a template.
   *
   * @throws IllegalArgumentException naming the offending level if a level mixes text and a
   *     placeholder, uses an MQTT wildcard, names a placeholder twice or is empty
   */
  public static TopicTemplate parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new IllegalArgumentException("topic template is empty");
    }
    if (text.startsWith("$")) {
      throw new IllegalArgumentException(
          "topic template \"" + text + "\" starts with $, which MQTT reserves for the broker");
    }
    String[] levels = text.split("/", -1);
    List<String> literals = new ArrayList<>(levels.length);
    List<String> names = new ArrayList<>(levels.length);
    for (String level : levels) {
      if (level.startsWith("{") && level.endsWith("}") && level.length() > 2) {
        String name = level.substring(1, level.length() - 1);
        if (!NAME.matcher(name).matches()) {
          throw new IllegalArgumentException(
              "topic template \"" + text + "\": bad placeholder name \"" + name + "\"");
        }
        if (!name.equals(IGNORED) && names.contains(name)) {
          throw new IllegalArgumentException(
              "topic template \"" + text + "\" names {" + name + "} twice");
        }
        literals.add(null);
        names.add(name);
      } else if (level.contains("{")
          || level.contains("}")
          || level.contains("+")
          || level.contains("#")) {
        throw new IllegalArgumentException(
            "topic template \""
                + text
                + "\": level \""
                + level
                + "\" must be literal text or exactly one {placeholder} (no MQTT wildcards)");
      } else {
        literals.add(level);
        names.add(null);
      }
    }
    // Not List.copyOf: the lists mark "no literal" and "no name" with null, which it rejects.
    return new TopicTemplate(
        text, Collections.unmodifiableList(literals), Collections.unmodifiableList(names));
  }

  /** Returns the MQTT subscription filter receiving this template's topics. */
  public String filter() {
    StringBuilder filter = new StringBuilder();
    for (int i = 0; i < literals.size(); i++) {
      if (i > 0) {
        filter.append('/');
      }
      filter.append(literals.get(i) != null ? literals.get(i) : "+");
    }
    return filter.toString();
  }

  /** Returns whether this template has no placeholders, i.e. its payloads are ready events. */
  public boolean isLiteral() {
    return names.stream().allMatch(Objects::isNull);
  }

  /**
   * Reads a topic: the placeholder values by name, in template order, or empty when the topic has
   * another number of levels or differs in a literal level. {@code {_}} levels are left out.
   */
  public Optional<Map<String, String>> match(String topic) {
    String[] levels = topic.split("/", -1);
    if (levels.length != literals.size()) {
      return Optional.empty();
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < levels.length; i++) {
      String literal = literals.get(i);
      if (literal != null) {
        if (!literal.equals(levels[i])) {
          return Optional.empty();
        }
      } else if (!names.get(i).equals(IGNORED)) {
        values.put(names.get(i), levels[i]);
      }
    }
    return Optional.of(values);
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TopicTemplate other && text.equals(other.text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
