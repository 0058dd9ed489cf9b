package io.eventflow.timeseries.store;

import java.util.Random;

/**
 * Seeded random strings for property-style tests: mostly plain characters with dots, percents,
 * spaces, non-ASCII letters and surrogate pairs mixed in, the inputs escaping must survive.
 */
final class RandomStrings {
  private static final String[] PIECES = {
    "a", "Z", "0", "_", "-", ".", "%", "%2E", " ", "ä", "€", "😀", "\u0000", "/", ":"
  };

  private final Random random;

  RandomStrings(long seed) {
    this.random = new Random(seed);
  }

  String next() {
    int length = random.nextInt(6);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < length; i++) {
      b.append(PIECES[random.nextInt(PIECES.length)]);
    }
    return b.toString();
  }
}
