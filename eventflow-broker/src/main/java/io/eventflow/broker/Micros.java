package io.eventflow.broker;

import com.google.protobuf.Timestamp;
import java.time.Clock;
import java.time.Instant;

/** Times inside the broker are microseconds since the epoch, the log's publish-time unit. */
final class Micros {
  private Micros() {}

  static long now(Clock clock) {
    return of(clock.instant());
  }

  static long of(Instant instant) {
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }

  static long of(Timestamp timestamp) {
    return timestamp.getSeconds() * 1_000_000L + timestamp.getNanos() / 1_000;
  }

  static Timestamp toTimestamp(long micros) {
    return Timestamp.newBuilder()
        .setSeconds(Math.floorDiv(micros, 1_000_000L))
        .setNanos((int) Math.floorMod(micros, 1_000_000L) * 1_000)
        .build();
  }
}
