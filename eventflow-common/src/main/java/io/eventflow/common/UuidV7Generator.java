package io.eventflow.common;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Generates UUIDv7 ids (RFC 9562, section 5.7): a 48-bit Unix millisecond timestamp, then a 12-bit
 * counter in {@code rand_a} (the RFC's "fixed bit-length dedicated counter", method 1), then 62
 * random bits.
 *
 * <p>Ids are strictly increasing within a process, across threads: the (millisecond, counter) pair
 * only ever moves forward. When the clock stands still the counter advances; when 4,096 ids were
 * taken in one millisecond, or the clock steps backwards, the timestamp field runs ahead of the
 * clock by a millisecond at a time until the clock catches up, as section 6.2 allows. The 62 random
 * bits keep ids from different processes apart.
 *
 * <p>Thread-safe and lock-free.
 */
public final class UuidV7Generator implements IdGenerator {
  private static final int COUNTER_BITS = 12;

  private final Clock clock;
  private final LongSupplier random;

  /** The last (millisecond << 12 | counter) handed out. */
  private final AtomicLong last = new AtomicLong(Long.MIN_VALUE);

  /** Creates a generator reading the given clock and drawing random bits from the given source. */
  public UuidV7Generator(Clock clock, LongSupplier random) {
    this.clock = clock;
    this.random = random;
  }

  /** Creates a generator on the system UTC clock with thread-local random bits. */
  public UuidV7Generator() {
    this(Clock.systemUTC(), () -> ThreadLocalRandom.current().nextLong());
  }

  /** Returns a new UUIDv7. */
  public UUID next() {
    long now = clock.millis() << COUNTER_BITS;
    long stamp = last.updateAndGet(prev -> Math.max(prev + 1, now));
    long millis = stamp >>> COUNTER_BITS;
    long counter = stamp & ((1L << COUNTER_BITS) - 1);
    long msb = (millis << 16) | (0x7L << 12) | counter;
    long lsb = (random.getAsLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb);
  }

  /** Returns a new UUIDv7 in its canonical 36-character form. */
  @Override
  public String nextId() {
    return next().toString();
  }

  /**
   * Returns the Unix millisecond timestamp a UUIDv7 carries.
   *
   * @throws IllegalArgumentException if the UUID is not version 7
   */
  public static long timestampMillis(UUID uuid) {
    if (uuid.version() != 7) {
      throw new IllegalArgumentException("not a UUIDv7: " + uuid);
    }
    return uuid.getMostSignificantBits() >>> 16;
  }
}
