package io.eventflow.timeseries.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Series names: the documented shapes and escaping, and that distinct inputs never collide. */
class SeriesNamesTest {
  @Test
  void countSeriesWithAndWithoutCustomer() {
    assertThat(SeriesNames.count("purchase", null)).isEqualTo("purchase.count");
    assertThat(SeriesNames.count("purchase", "acme")).isEqualTo("purchase.acme.count");
  }

  @Test
  void rollupSeriesWithAndWithoutCustomer() {
    assertThat(SeriesNames.rollup("purchase", null, "amount", AggregateFunction.SUM))
        .isEqualTo("purchase.amount.sum");
    assertThat(SeriesNames.rollup("purchase", "acme", "latency", AggregateFunction.MAX))
        .isEqualTo("purchase.acme.latency.max");
  }

  @Test
  void seriesByDimensionNameTheDimensionAndItsEscapedValue() {
    assertThat(SeriesNames.countBy("purchase", "plan", "gold"))
        .isEqualTo("purchase.plan=gold.count");
    assertThat(SeriesNames.rollupBy("purchase", "plan", "gold", "amount", AggregateFunction.SUM))
        .isEqualTo("purchase.plan=gold.amount.sum");
    // A value with dots, '=' and non-ASCII stays one component.
    assertThat(SeriesNames.countBy("purchase", "plan", "a.b=ä"))
        .isEqualTo("purchase.plan=a%2Eb%3D%C3%A4.count");
    assertThat(SeriesNames.countBy("purchase", "plan", "gold"))
        .isNotEqualTo(SeriesNames.count("purchase", "plan=gold"));
  }

  @Test
  void plainCharactersStandForThemselves() {
    assertThat(SeriesNames.escape("Page_View-2")).isEqualTo("Page_View-2");
  }

  @Test
  void dotsPercentsAndOtherCharactersArePercentEncoded() {
    assertThat(SeriesNames.escape("a.b")).isEqualTo("a%2Eb");
    assertThat(SeriesNames.escape("100%")).isEqualTo("100%25");
    assertThat(SeriesNames.escape("page view")).isEqualTo("page%20view");
    assertThat(SeriesNames.escape("bär")).isEqualTo("b%C3%A4r");
    assertThat(SeriesNames.count("a.b", "c")).isEqualTo("a%2Eb.c.count");
    assertThat(SeriesNames.count("a", "b.c")).isEqualTo("a.b%2Ec.count");
  }

  @Test
  void escapedComponentsNeverContainDots() {
    RandomStrings strings = new RandomStrings(1);
    for (int i = 0; i < 10_000; i++) {
      assertThat(SeriesNames.escape(strings.next())).doesNotContain(".");
    }
  }

  @Test
  void distinctComponentsGiveDistinctNames() {
    RandomStrings strings = new RandomStrings(2);
    Map<String, List<String>> seen = new HashMap<>();
    for (int i = 0; i < 20_000; i++) {
      String type = strings.next();
      String customer = i % 3 == 0 ? null : strings.next();
      String attribute = strings.next();
      List<String> countInputs = Arrays.asList(type, customer);
      assertThat(seen.putIfAbsent(SeriesNames.count(type, customer), countInputs))
          .isIn(null, countInputs);
      List<String> inputs = Arrays.asList(type, customer, attribute);
      assertThat(
              seen.putIfAbsent(
                  SeriesNames.rollup(type, customer, attribute, AggregateFunction.MIN), inputs))
          .isIn(null, inputs);
    }
  }
}
