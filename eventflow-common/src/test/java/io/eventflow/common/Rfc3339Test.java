package io.eventflow.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import io.eventflow.testing.Trials;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

/** The fast formatter gives exactly the text of the formatters it replaces. */
class Rfc3339Test {
  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private static final long MIN_SECONDS = Timestamps.MIN_VALUE.getSeconds();
  private static final long MAX_SECONDS = Timestamps.MAX_VALUE.getSeconds();

  private static void assertSameText(Timestamp t) {
    assertThat(Rfc3339.format(t)).isEqualTo(Timestamps.toString(t));
    assertThat(Rfc3339.formatMicros(t))
        .isEqualTo(MICROS.format(Instant.ofEpochSecond(t.getSeconds(), t.getNanos())));
  }

  @Test
  void randomTimestampsAcrossTheWholeRangeFormatLikeProtobufAndJavaTime() {
    Trials.run(
        20_000,
        r -> {
          long seconds =
              switch (r.nextInt(3)) {
                case 0 -> MIN_SECONDS + (long) (r.nextDouble() * (MAX_SECONDS - MIN_SECONDS));
                case 1 -> 1_600_000_000L + r.nextInt(400_000_000); // recent years
                default -> -86_400L * 800 + r.nextInt(86_400 * 1_600); // around 1970
              };
          int nanos =
              switch (r.nextInt(4)) {
                case 0 -> 0;
                case 1 -> r.nextInt(1_000) * 1_000_000;
                case 2 -> r.nextInt(1_000_000) * 1_000;
                default -> r.nextInt(1_000_000_000);
              };
          assertSameText(Timestamp.newBuilder().setSeconds(seconds).setNanos(nanos).build());
        });
  }

  @Test
  void edgesOfTheRangeAndOfDaysAndLeapYears() {
    long[] seconds = {
      MIN_SECONDS,
      MAX_SECONDS,
      0,
      -1,
      86_399,
      86_400,
      951_782_400 /* 2000-02-29 */,
      4_107_542_400L /* 2100-03-01 */,
      -2_203_891_200L /* 1900-02-28 */,
      253_402_214_400L
    };
    for (long s : seconds) {
      for (int nanos : new int[] {0, 1, 999_999_999, 500_000_000, 123_456_000}) {
        assertSameText(Timestamp.newBuilder().setSeconds(s).setNanos(nanos).build());
      }
    }
  }

  @Test
  void invalidTimestampsAreRejectedLikeProtobuf() {
    for (Timestamp bad :
        new Timestamp[] {
          Timestamp.newBuilder().setSeconds(MAX_SECONDS + 1).build(),
          Timestamp.newBuilder().setSeconds(MIN_SECONDS - 1).build(),
          Timestamp.newBuilder().setNanos(-1).build(),
          Timestamp.newBuilder().setNanos(1_000_000_000).build()
        }) {
      assertThatThrownBy(() -> Timestamps.toString(bad))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Rfc3339.format(bad)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Rfc3339.formatMicros(bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
