package io.eventflow.beam;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.VarInt;
import org.junit.jupiter.api.Test;

/**
 * The fingerprint table of {@link DropRepeatedIdsInState}, against a plain map of first sightings.
 */
class IdFingerprintsTest {
  private static final long WINDOW = 600;

  /** A repeat within the window is dropped; on its last second too; after it, the id is new. */
  @Test
  void anIdIsRememberedForTheWindowAndOneSecondAtMost() {
    IdFingerprints set = new IdFingerprints(1_000);

    assertThat(set.addIfAbsent(42, 1_000, WINDOW)).isTrue();
    assertThat(set.addIfAbsent(42, 1_000 + WINDOW, WINDOW)).isFalse();
    assertThat(set.addIfAbsent(42, 1_001 + WINDOW, WINDOW)).isTrue();
    assertThat(set.addIfAbsent(42, 1_001 + 2 * WINDOW, WINDOW)).isFalse();
  }

  /** A purge drops what expired and keeps what did not, across a change of its base second. */
  @Test
  void purgeKeepsOnlyIdsWithinTheWindow() {
    IdFingerprints set = new IdFingerprints(0);
    set.addIfAbsent(1, 0, WINDOW);
    set.addIfAbsent(2, 500, WINDOW);

    assertThat(set.purge(601, WINDOW)).isEqualTo(1);
    assertThat(set.addIfAbsent(2, 1_100, WINDOW)).isFalse();
    assertThat(set.addIfAbsent(1, 1_100, WINDOW)).isTrue();
    assertThat(set.purge(1_101, WINDOW)).isEqualTo(1);
  }

  /** The empty slot's value is never a fingerprint. */
  @Test
  void zeroIsNoFingerprint() {
    assertThat(IdFingerprints.fingerprint(0)).isNotZero();
    assertThat(IdFingerprints.fingerprint(-7)).isEqualTo(-7);
  }

  /**
   * A table in the format of earlier checkpoints (base second, count, then each fingerprint and its
   * second, without slots) decodes to the same set: restoring such a checkpoint keeps every id.
   */
  @Test
  void decodesTheFormatOfEarlierCheckpoints() throws Exception {
    long base = 1_700_000_000L;
    long[] ids = {5, 17, 1L << 40, -3, 99};
    int[] seconds = {0, 1, 2, 3, 600};
    ByteBuffer earlier = ByteBuffer.allocate(8 + 4 + ids.length * 12);
    earlier.putLong(base).putInt(ids.length);
    for (int i = 0; i < ids.length; i++) {
      earlier.putLong(ids[i]).putInt(seconds[i]);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    VarInt.encode(earlier.capacity(), bytes);
    bytes.write(earlier.array());

    IdFingerprints set =
        CoderUtils.decodeFromByteArray(new IdFingerprints.Coder(), bytes.toByteArray());

    assertThat(set.size()).isEqualTo(ids.length);
    for (int i = 0; i < ids.length; i++) {
      long seenAt = base + seconds[i];
      assertThat(set.addIfAbsent(ids[i], seenAt + WINDOW, WINDOW)).as("id %d", ids[i]).isFalse();
      assertThat(set.addIfAbsent(ids[i], seenAt + WINDOW + 1, WINDOW)).as("id %d", ids[i]).isTrue();
    }
  }

  /**
   * Random sightings of ids from a small pool (so repeats, expiries and slot collisions abound),
   * with purges and checkpoint round trips through the coder at random moments, answer exactly as a
   * map of first sightings does.
   */
  @Test
  void answersAsAMapOfFirstSightingsDoes() throws Exception {
    long seed = Long.getLong("eventflow.test.seed", System.nanoTime());
    for (int round = 0; round < 50; round++) {
      runModel(seed + round);
    }
  }

  private static void runModel(long seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    long window = 1 + random.nextInt(30);
    IdFingerprints set = new IdFingerprints(0);
    Map<Long, Long> firstSeen = new HashMap<>();
    IdFingerprints.Coder coder = new IdFingerprints.Coder();
    long now = random.nextInt(1_000);
    int pool = 1 + random.nextInt(300);
    for (int step = 0; step < 5_000; step++) {
      now += random.nextInt(100) < 90 ? 0 : random.nextInt(5);
      // Fingerprints with equal low bits land on neighbouring slots: probe chains get long.
      long id = IdFingerprints.fingerprint((long) random.nextInt(pool) << 40 | random.nextInt(4));
      Long first = firstSeen.get(id);
      boolean expected = first == null || now - first > window;
      if (expected) {
        firstSeen.put(id, now);
      }
      assertThat(set.addIfAbsent(id, now, window))
          .as("seed %d step %d id %d at %d", seed, step, id, now)
          .isEqualTo(expected);
      int action = random.nextInt(100);
      if (action == 0) {
        long at = now;
        firstSeen.values().removeIf(second -> at - second > window);
        assertThat(set.purge(now, window)).as("seed %d", seed).isEqualTo(firstSeen.size());
      } else if (action == 1) {
        set = CoderUtils.clone(coder, set);
      }
    }
  }
}
