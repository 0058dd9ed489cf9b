package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class AckSetTest {

  /**
   * Whatever order acks arrive in, the cursor is the first unacked offset and the rest are bits.
   * Seeded random trials: a failure names the seed that reproduces it.
   */
  @Test
  void behavesLikeASetWithACursor() {
    for (long seed = 1; seed <= 200; seed++) {
      Random random = new Random(seed);
      AckSet set = new AckSet(0);
      TreeSet<Long> model = new TreeSet<>();
      int bound = random.nextBoolean() ? 300 : 200_000;
      int count = random.nextInt(400);
      for (int i = 0; i < count; i++) {
        long offset = random.nextInt(bound);
        assertThat(set.add(offset)).as("seed %d", seed).isEqualTo(model.add(offset));
      }
      long cursor = 0;
      while (model.contains(cursor)) {
        cursor++;
      }
      long c = cursor;
      assertThat(set.cursor()).as("seed %d", seed).isEqualTo(cursor);
      assertThat(set.above())
          .as("seed %d", seed)
          .containsExactly(model.tailSet(c).stream().mapToLong(Long::longValue).toArray());
      for (long probe = 0; probe < 300; probe++) {
        assertThat(set.contains(probe)).as("seed %d", seed).isEqualTo(model.contains(probe));
      }
    }
  }

  @Test
  void cursorAdvancesPastLongContiguousRunsAckedBackwards() {
    for (int n : new int[] {1, 63, 64, 65_535, 65_536, 65_537, 300_000}) {
      AckSet set = new AckSet(10);
      for (long o = 10 + n - 1; o >= 10; o--) {
        set.add(o);
      }
      assertThat(set.cursor()).as("n=%d", n).isEqualTo(10 + n);
      assertThat(set.above()).as("n=%d", n).isEmpty();
    }
  }
}
