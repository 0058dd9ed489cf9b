package io.eventflow.common;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads a service's settings from environment variables (the containers' configuration), with one
 * clear message naming the variable for a bad value. The environment is a function so tests pass a
 * map's {@code get}. Used by the MQTT bridge's and the collector's {@code main}s.
 */
public final class EnvironmentReader {
  private final Function<String, String> environment;

  /** Reads from {@code environment} ({@code System::getenv} in a service). */
  public EnvironmentReader(Function<String, String> environment) {
    this.environment = environment;
  }

  /** Returns the trimmed value, or empty when unset or blank. */
  public Optional<String> optional(String name) {
    String value = environment.apply(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  /** Returns the trimmed value, or {@code fallback} when unset or blank. */
  public String string(String name, String fallback) {
    return optional(name).orElse(fallback);
  }

  /**
   * Returns the value as an int, or {@code fallback} when unset or blank.
   *
   * @throws IllegalArgumentException naming the variable if it is no integer
   */
  public int integer(String name, int fallback) {
    long value = number(name, fallback);
    if (value != (int) value) {
      throw new IllegalArgumentException(name + " must be an int, got " + value);
    }
    return (int) value;
  }

  /**
   * Returns the value as a long, or {@code fallback} when unset or blank.
   *
   * @throws IllegalArgumentException naming the variable if it is no integer
   */
  public long number(String name, long fallback) {
    Optional<String> value = optional(name);
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      return Long.parseLong(value.get());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          name + " must be an integer, got \"" + value.get() + "\"", e);
    }
  }

  /**
   * Returns the value as a double, or {@code fallback} when unset or blank.
   *
   * @throws IllegalArgumentException naming the variable if it is no number
   */
  public double decimal(String name, double fallback) {
    Optional<String> value = optional(name);
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      return Double.parseDouble(value.get());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          name + " must be a number, got \"" + value.get() + "\"", e);
    }
  }

  /** Returns the comma-separated values, trimmed, blanks dropped; empty when unset. */
  public List<String> list(String name) {
    return optional(name)
        .map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
        .orElse(List.of());
  }
}
