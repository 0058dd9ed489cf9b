package io.eventflow.cli;

import io.eventflow.local.LocalRunner;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads a local runner name, {@code flink} or {@code direct}, in any case. */
final class RunnerConverter implements ITypeConverter<LocalRunner> {
  @Override
  public LocalRunner convert(String value) {
    try {
      return LocalRunner.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(
          "runner must be one of "
              + Arrays.stream(LocalRunner.values())
                  .map(r -> r.name().toLowerCase(Locale.ROOT))
                  .collect(Collectors.joining(", "))
              + ", got '"
              + value
              + "'");
    }
  }
}
