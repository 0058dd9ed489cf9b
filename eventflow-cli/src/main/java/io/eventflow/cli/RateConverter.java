package io.eventflow.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads a positive rate in events per second: {@code 500} or {@code 500/s}. */
final class RateConverter implements ITypeConverter<Double> {
  @Override
  public Double convert(String value) {
    String number = value.endsWith("/s") ? value.substring(0, value.length() - 2) : value;
    double rate;
    try {
      rate = Double.parseDouble(number);
    } catch (NumberFormatException e) {
      throw new TypeConversionException(
          "expected events per second like 500/s, got '" + value + "'");
    }
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new TypeConversionException("rate must be positive, got '" + value + "'");
    }
    return rate;
  }
}
