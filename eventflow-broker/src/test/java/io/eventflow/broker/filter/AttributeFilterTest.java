package io.eventflow.broker.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AttributeFilterTest {
  private static boolean matches(String filter, Map<String, String> attributes) throws Exception {
    return AttributeFilter.parse(filter).matches(attributes);
  }

  @Test
  void emptyFilterMatchesEverything() throws Exception {
    assertThat(matches("", Map.of())).isTrue();
    assertThat(matches("   ", Map.of("a", "b"))).isTrue();
  }

  @Test
  void equalityNeedsThePresentExactValue() throws Exception {
    assertThat(matches("attributes.type = \"click\"", Map.of("type", "click"))).isTrue();
    assertThat(matches("attributes.type = \"click\"", Map.of("type", "Click"))).isFalse();
    assertThat(matches("attributes.type = \"click\"", Map.of())).isFalse();
  }

  @Test
  void inequalityAlsoMatchesAbsentAttribute() throws Exception {
    assertThat(matches("attributes.type != \"click\"", Map.of("type", "view"))).isTrue();
    assertThat(matches("attributes.type != \"click\"", Map.of())).isTrue();
    assertThat(matches("attributes.type != \"click\"", Map.of("type", "click"))).isFalse();
  }

  @Test
  void colonTestsExistence() throws Exception {
    assertThat(matches("attributes:domain", Map.of("domain", ""))).isTrue();
    assertThat(matches("attributes:domain", Map.of("other", "x"))).isFalse();
    assertThat(matches("NOT attributes:domain", Map.of())).isTrue();
    assertThat(matches("-attributes:domain", Map.of())).isTrue();
  }

  @Test
  void hasPrefixMatchesStartOfValue() throws Exception {
    String filter = "hasPrefix(attributes.source, \"web-\")";
    assertThat(matches(filter, Map.of("source", "web-eu"))).isTrue();
    assertThat(matches(filter, Map.of("source", "mobile"))).isFalse();
    assertThat(matches(filter, Map.of())).isFalse();
  }

  @Test
  void booleanOperatorsAndParentheses() throws Exception {
    String filter =
        "(attributes.type = \"click\" OR attributes.type = \"view\") AND NOT attributes:test";
    assertThat(matches(filter, Map.of("type", "view"))).isTrue();
    assertThat(matches(filter, Map.of("type", "view", "test", "1"))).isFalse();
    assertThat(matches(filter, Map.of("type", "buy"))).isFalse();
  }

  @Test
  void hyphenatedAndQuotedKeys() throws Exception {
    assertThat(matches("attributes.event-type = \"a\"", Map.of("event-type", "a"))).isTrue();
    assertThat(matches("attributes.\"iana.org/lang\" = \"en\"", Map.of("iana.org/lang", "en")))
        .isTrue();
    assertThat(matches("attributes.k = \"say \\\"hi\\\"\"", Map.of("k", "say \"hi\""))).isTrue();
  }

  @Test
  void malformedFiltersAreRejectedWithAReason() {
    assertThatThrownBy(
            () ->
                AttributeFilter.parse(
                    "attributes.a = \"x\" AND attributes.b = \"y\" OR attributes:c"))
        .isInstanceOf(FilterSyntaxException.class)
        .hasMessageContaining("AND and OR cannot be mixed");
    assertThatThrownBy(() -> AttributeFilter.parse("attributes.a = x"))
        .hasMessageContaining("expected a quoted value");
    assertThatThrownBy(() -> AttributeFilter.parse("attributes.a = \"x"))
        .hasMessageContaining("unterminated string");
    assertThatThrownBy(() -> AttributeFilter.parse("(attributes:a"))
        .hasMessageContaining("expected ')'");
    assertThatThrownBy(() -> AttributeFilter.parse("labels.a = \"x\""))
        .hasMessageContaining("expected 'attributes'");
    assertThatThrownBy(() -> AttributeFilter.parse("attributes:a attributes:b"))
        .hasMessageContaining("unexpected");
    assertThatThrownBy(() -> AttributeFilter.parse("attributes:" + "k".repeat(300)))
        .hasMessageContaining("256 bytes");
  }

  /** Seeded random trials: NOT and != invert =, whatever the key and values. */
  @Test
  void notInvertsAnyComparison() throws Exception {
    for (long seed = 1; seed <= 300; seed++) {
      Random random = new Random(seed);
      String key = word(random, 1);
      String value = word(random, 0);
      String actual = random.nextBoolean() ? value : word(random, 0);
      Map<String, String> attributes = Map.of(key, actual);
      String equals = "attributes." + key + " = \"" + value + "\"";
      assertThat(matches("NOT " + equals, attributes))
          .as("seed %d", seed)
          .isEqualTo(!matches(equals, attributes));
      assertThat(matches(equals, attributes)).as("seed %d", seed).isEqualTo(value.equals(actual));
      assertThat(matches("attributes." + key + " != \"" + value + "\"", attributes))
          .as("seed %d", seed)
          .isEqualTo(!value.equals(actual));
    }
  }

  private static String word(Random random, int minLength) {
    int length = minLength + random.nextInt(8);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.append((char) ((random.nextBoolean() ? 'a' : 'A') + random.nextInt(26)));
    }
    return s.toString();
  }
}
