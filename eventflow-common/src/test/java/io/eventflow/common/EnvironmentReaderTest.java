package io.eventflow.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentReaderTest {
  private final EnvironmentReader env =
      new EnvironmentReader(
          Map.of("PORT", " 8081 ", "BLANK", "  ", "LIST", "a, b,,c ", "BAD", "12x", "RATE", "2.5")
              ::get);

  @Test
  void unsetAndBlankValuesFallBack() {
    assertThat(env.string("MISSING", "d")).isEqualTo("d");
    assertThat(env.string("BLANK", "d")).isEqualTo("d");
    assertThat(env.optional("BLANK")).isEmpty();
    assertThat(env.list("MISSING")).isEmpty();
  }

  @Test
  void valuesAreTrimmedAndParsed() {
    assertThat(env.integer("PORT", 1)).isEqualTo(8081);
    assertThat(env.decimal("RATE", 1)).isEqualTo(2.5);
    assertThat(env.list("LIST")).isEqualTo(List.of("a", "b", "c"));
  }

  @Test
  void badNumbersNameTheVariable() {
    assertThatThrownBy(() -> env.integer("BAD", 1))
        .hasMessage("BAD must be an integer, got \"12x\"");
    assertThatThrownBy(() -> env.decimal("BAD", 1)).hasMessage("BAD must be a number, got \"12x\"");
  }
}
