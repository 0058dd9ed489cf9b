package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class AckSetTest {

  /**
   * Whatever order acks arrive in, the cursor is the first unacked offset and the rest are bits.
   */
  @Property
  void behavesLikeASetWithACursor(
      @ForAll @Size(max = 400) List<@IntRange(min = 0, max = 200_000) Integer> acks) {
    AckSet set = new AckSet(0);
    TreeSet<Long> model = new TreeSet<>();
    for (int a : acks) {
      assertThat(set.add(a)).isEqualTo(model.add((long) a));
    }
    long cursor = 0;
    while (model.contains(cursor)) {
      cursor++;
    }
    assertThat(set.cursor()).isEqualTo(cursor);
    long c = cursor;
    assertThat(set.above())
        .containsExactly(model.tailSet(c).stream().mapToLong(Long::longValue).toArray());
    for (long probe = 0; probe < 300; probe++) {
      assertThat(set.contains(probe)).isEqualTo(model.contains(probe));
    }
  }

  @Property
  void cursorAdvancesPastLongContiguousRuns(@ForAll @IntRange(min = 1, max = 300_000) int n) {
    AckSet set = new AckSet(10);
    for (long o = 10 + n - 1; o >= 10; o--) {
      set.add(o);
    }
    assertThat(set.cursor()).isEqualTo(10 + n);
    assertThat(set.above()).isEmpty();
  }
}
