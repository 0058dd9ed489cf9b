package io.eventflow.testing;

import java.util.Random;

/**
 * Runs a randomized check many times, each trial with its own seeded {@link Random}, and names the
 * seed of a failing trial so it can be replayed: set the system property {@code eventflow.seed} to
 * it and the run starts from that seed.
 */
public final class Trials {
  /** A check of one trial. */
  public interface Trial {
    /** Runs the check with this trial's seeded random. */
    void run(Random random) throws Exception;
  }

  private Trials() {}

  /** Runs {@code count} trials, stopping at the first failure with its seed in the message. */
  public static void run(int count, Trial trial) {
    String fixed = System.getProperty("eventflow.seed");
    long base = fixed != null ? Long.parseLong(fixed) : new Random().nextLong();
    for (int i = 0; i < count; i++) {
      long seed = base + i;
      try {
        trial.run(new Random(seed));
      } catch (Exception | AssertionError e) {
        throw new AssertionError(
            "trial " + i + " failed; replay with -Deventflow.seed=" + seed + ": " + e.getMessage(),
            e);
      }
    }
  }
}
