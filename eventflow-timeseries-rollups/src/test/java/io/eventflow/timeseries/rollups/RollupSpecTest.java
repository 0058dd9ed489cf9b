package io.eventflow.timeseries.rollups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.timeseries.store.AggregateFunction;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The --rollups syntax exactly as the README documents it. */
class RollupSpecTest {
  @Test
  void parsesEntriesInOrder() {
    assertThat(
            RollupSpec.parse("purchase:sum:amount,request:max:latency,request:min:latency").rules())
        .containsExactly(
            new RollupSpec.Rule("purchase", AggregateFunction.SUM, "amount"),
            new RollupSpec.Rule("request", AggregateFunction.MAX, "latency"),
            new RollupSpec.Rule("request", AggregateFunction.MIN, "latency"));
  }

  @Test
  void spacesAroundEntriesAndPartsAreIgnored() {
    assertThat(RollupSpec.parse(" purchase : sum : amount ,  refund:min:amount ").rules())
        .containsExactly(
            new RollupSpec.Rule("purchase", AggregateFunction.SUM, "amount"),
            new RollupSpec.Rule("refund", AggregateFunction.MIN, "amount"));
  }

  @Test
  void emptyOrBlankSpecMeansCountsOnly() {
    assertThat(RollupSpec.parse("").rules()).isEmpty();
    assertThat(RollupSpec.parse("   ").rules()).isEmpty();
  }

  @Test
  void typesAndAttributesKeepDotsAndOtherCharacters() {
    assertThat(RollupSpec.parse("page.view:max:load time").rules())
        .containsExactly(new RollupSpec.Rule("page.view", AggregateFunction.MAX, "load time"));
  }

  @Test
  void byDimensionSplitsSumsAndCounts() {
    RollupSpec spec = RollupSpec.parse("purchase:sum:amount:by=plan, purchase:count : by = plan");

    assertThat(spec.rules())
        .containsExactly(
            new RollupSpec.Rule("purchase", AggregateFunction.SUM, "amount", "plan"),
            new RollupSpec.Rule("purchase", AggregateFunction.SUM, null, "plan"));
    assertThat(spec.rules().get(1).isCount()).isTrue();
    assertThat(spec.rules())
        .extracting(Object::toString)
        .containsExactly("purchase:sum:amount:by=plan", "purchase:count:by=plan");
    // The same attribute with and without a dimension are two rules.
    assertThat(RollupSpec.parse("purchase:sum:amount,purchase:sum:amount:by=plan").rules())
        .hasSize(2);
  }

  @Test
  void badEntriesAreNamedWithTheirPosition() {
    List<String[]> cases =
        List.of(
            new String[] {
              "purchase:avg:amount", "entry 1 \"purchase:avg:amount\" has function \"avg\""
            },
            new String[] {
              "a:sum:x,purchase:sum", "entry 2 \"purchase:sum\" must be TYPE:FUNC:ATTRIBUTE"
            },
            new String[] {"a:sum:x,", "entry 2 \"\" is empty"},
            new String[] {"a:sum:x,,b:sum:y", "entry 2 \"\" is empty"},
            new String[] {":sum:x", "entry 1 \":sum:x\" has an empty event type"},
            new String[] {"a:sum: ", "entry 1 \"a:sum:\" has an empty attribute"},
            new String[] {"a:SUM:x", "has function \"SUM\""},
            new String[] {"a:sum:x:y", "must be TYPE:FUNC:ATTRIBUTE"},
            new String[] {"a:sum:x,a:sum:x", "entry 2 \"a:sum:x\" repeats an earlier entry"},
            new String[] {"a:count", "counts without by=DIMENSION"},
            new String[] {"a:sum:x:by=", "has an empty dimension after by="},
            new String[] {"a:count:by=plan,a:count:by=plan", "repeats an earlier entry"},
            new String[] {"a:avg:x:by=plan", "has function \"avg\""},
            new String[] {"a:sum:x:plan", "must be TYPE:FUNC:ATTRIBUTE[:by=DIMENSION]"});
    for (String[] c : cases) {
      assertThatThrownBy(() -> RollupSpec.parse(c[0]))
          .as(c[0])
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(c[1]);
    }
  }
}
