package io.eventflow.common;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import java.util.Random;

/**
 * Random events from a seeded {@link Random} for property tests ({@link SampleEvents} has the fixed
 * ones).
 */
final class Events {
  /** Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, protobuf's timestamp range. */
  static final long MIN_SECONDS = -62_135_596_800L;

  static final long MAX_SECONDS = 253_402_300_799L;

  /** Protobuf's duration range: ±10,000 years. */
  static final long MAX_DURATION_SECONDS = 315_576_000_000L;

  private static final String TRICKY = "abc<>&='\"\\/\n\t\u2028\u2029\u0000\u007f é😀";
  private static final String NAME_CHARS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
  private static final double[] SPECIAL_DOUBLES = {
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    -0.0,
    0.0,
    Double.MIN_VALUE,
    Double.MAX_VALUE,
    -Double.MAX_VALUE,
    1e21,
    1e-7
  };

  private Events() {}

  /**
   * A string from one of three families: any UTF-16 units (controls, lone surrogates included),
   * characters JSON printers must escape, or plain identifier characters.
   */
  static String string(Random r) {
    int length = r.nextInt(13);
    StringBuilder s = new StringBuilder(length);
    int family = r.nextInt(3);
    for (int i = 0; i < length; i++) {
      s.append(
          switch (family) {
            case 0 -> (char) r.nextInt(Character.MAX_VALUE + 1);
            case 1 -> TRICKY.charAt(r.nextInt(TRICKY.length()));
            default -> NAME_CHARS.charAt(r.nextInt(NAME_CHARS.length()));
          });
    }
    return s.toString();
  }

  static Timestamp timestamp(Random r) {
    long seconds =
        switch (r.nextInt(3)) {
          case 0 -> between(r, MIN_SECONDS, MAX_SECONDS);
          case 1 -> between(r, 946_684_800L, 1_900_000_000L);
          default -> new long[] {MIN_SECONDS, MAX_SECONDS, 0L, -1L}[r.nextInt(4)];
        };
    int nanos =
        r.nextBoolean()
            ? r.nextInt(1_000_000_000)
            : new int[] {0, 1_000_000, 123_000_000, 999_999_999, 1_000, 1}[r.nextInt(6)];
    return Timestamp.newBuilder().setSeconds(seconds).setNanos(nanos).build();
  }

  static Duration duration(Random r) {
    long seconds = between(r, 0, MAX_DURATION_SECONDS);
    int nanos = r.nextInt(1_000_000_000);
    return r.nextBoolean()
        ? Duration.newBuilder().setSeconds(-seconds).setNanos(-nanos).build()
        : Duration.newBuilder().setSeconds(seconds).setNanos(nanos).build();
  }

  static double doubleValue(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> Double.longBitsToDouble(r.nextLong());
      case 1 -> Math.round((r.nextDouble() * 2e6 - 1e6) * 1000) / 1000.0;
      case 2 -> r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
      default -> SPECIAL_DOUBLES[r.nextInt(SPECIAL_DOUBLES.length)];
    };
  }

  static AttributeValue attributeValue(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> AttributeValues.of(r.nextBoolean());
      case 1 -> AttributeValues.of(r.nextBoolean() ? r.nextLong() : (long) r.nextInt(1000) - 500);
      case 2 -> AttributeValues.of(doubleValue(r));
      case 3 -> AttributeValues.of(string(r));
      case 4 -> {
        byte[] bytes = new byte[r.nextInt(25)];
        r.nextBytes(bytes);
        yield AttributeValues.of(ByteString.copyFrom(bytes));
      }
      case 5 -> AttributeValues.of(timestamp(r));
      case 6 -> AttributeValues.of(duration(r));
      default -> AttributeValue.getDefaultInstance();
    };
  }

  /** A random event: every field optional, every attribute kind, any strings. */
  static Event event(Random r) {
    Event.Builder b = Event.newBuilder();
    if (r.nextBoolean()) {
      b.setId(string(r));
    }
    if (r.nextBoolean()) {
      b.setType(string(r));
    }
    if (r.nextBoolean()) {
      b.setSource(string(r));
    }
    if (r.nextBoolean()) {
      b.setCustomer(StringValue.of(string(r)));
    }
    if (r.nextBoolean()) {
      b.setTimestamp(timestamp(r));
    }
    int attributes = r.nextInt(7);
    for (int i = 0; i < attributes; i++) {
      b.putAttributes(string(r), attributeValue(r));
    }
    return b.build();
  }

  private static long between(Random r, long min, long max) {
    return min + Math.floorMod(r.nextLong(), max - min + 1);
  }
}
