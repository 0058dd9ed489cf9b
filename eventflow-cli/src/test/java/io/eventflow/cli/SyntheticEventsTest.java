package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyntheticEventsTest {
  private static List<Event.Builder> generate(long seed, int count) {
    SyntheticEvents events =
        new SyntheticEvents(new Random(seed), Arrays.asList(SyntheticEvents.Type.values()), 1000);
    return java.util.stream.Stream.generate(events::next).limit(count).toList();
  }

  @Test
  void everyTypeCarriesNumericAttributes() {
    Map<String, Set<AttributeValue.ValueCase>> numericKinds = new HashMap<>();
    for (Event.Builder event : generate(11, 5_000)) {
      for (AttributeValue value : event.getAttributesMap().values()) {
        if (AttributeValues.isNumeric(value)) {
          numericKinds
              .computeIfAbsent(event.getType(), t -> EnumSet.noneOf(AttributeValue.ValueCase.class))
              .add(value.getValueCase());
        }
      }
    }

    assertThat(numericKinds.keySet())
        .containsExactlyInAnyOrder(
            "page_view", "api_request", "search", "add_to_cart", "purchase", "signup");
    assertThat(numericKinds.get("page_view"))
        .containsExactlyInAnyOrder(
            AttributeValue.ValueCase.INT_VALUE,
            AttributeValue.ValueCase.FLOAT_VALUE,
            AttributeValue.ValueCase.DURATION_VALUE);
    assertThat(numericKinds.get("purchase"))
        .containsExactlyInAnyOrder(
            AttributeValue.ValueCase.INT_VALUE,
            AttributeValue.ValueCase.FLOAT_VALUE,
            AttributeValue.ValueCase.DURATION_VALUE);
  }

  @Test
  void typesFollowTheirRealisticProportions() {
    Map<String, Integer> counts = new HashMap<>();
    for (Event.Builder event : generate(5, 20_000)) {
      counts.merge(event.getType(), 1, Integer::sum);
    }

    // Weights 50:20:15:10:4:1 of 100; with 20,000 draws each share is within a few tenths of 1%.
    assertThat(counts.get("page_view")).isBetween(9_600, 10_400);
    assertThat(counts.get("purchase")).isBetween(650, 950);
    assertThat(counts.get("signup")).isBetween(120, 280);
  }

  @Test
  void aFewCustomersProduceMostEvents() {
    Map<String, Integer> byCustomer = new HashMap<>();
    List<Event.Builder> events = generate(9, 20_000);
    for (Event.Builder event : events) {
      if (event.hasCustomer()) {
        byCustomer.merge(event.getCustomer().getValue(), 1, Integer::sum);
      }
    }
    int withCustomer = byCustomer.values().stream().mapToInt(Integer::intValue).sum();
    int topTenPercent =
        byCustomer.entrySet().stream()
            .filter(e -> Integer.parseInt(e.getKey().substring("customer-".length())) <= 100)
            .mapToInt(Map.Entry::getValue)
            .sum();

    // P(u^3 < 0.1) = 0.1^(1/3) = 46%.
    assertThat((double) topTenPercent / withCustomer).isBetween(0.43, 0.50);
    assertThat(byCustomer.keySet()).allMatch(c -> c.matches("customer-\\d{5}"));
  }

  @Test
  void theSameSeedGivesTheSameSequence() {
    assertThat(generate(42, 100))
        .usingElementComparator((a, b) -> a.build().equals(b.build()) ? 0 : 1)
        .isEqualTo(generate(42, 100));
  }

  @Test
  void onlyTheGivenTypesAreGenerated() {
    SyntheticEvents events =
        new SyntheticEvents(
            new Random(1), List.of(SyntheticEvents.Type.PURCHASE, SyntheticEvents.Type.SIGNUP), 10);

    for (int i = 0; i < 1_000; i++) {
      assertThat(events.next().getType()).isIn("purchase", "signup");
    }
  }
}
