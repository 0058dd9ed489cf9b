package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.testing.Trials;
import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CachedAnswersTest {
  private static final GetIntervalValuesResponse ANSWER =
      GetIntervalValuesResponse.newBuilder()
          .addTimestamps(1_709_251_200L)
          .addTimestamps(1_709_337_600L)
          .addValues(3)
          .addValues(4.5)
          .setAggregateFunction(AggregateFunction.AGGREGATE_FUNCTION_SUM)
          .build();

  @Test
  void anAnswerSurvivesTheRoundTrip() {
    assertThat(CachedAnswers.decode(CachedAnswers.encode(ANSWER))).isEqualTo(ANSWER);
  }

  @Test
  void everySingleBitFlipIsRejected() {
    byte[] good = CachedAnswers.encode(ANSWER);
    for (int bit = 0; bit < good.length * 8; bit++) {
      byte[] bad = good.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThat(CachedAnswers.decode(bad)).as("bit %d flipped", bit).isNull();
    }
  }

  @Test
  void truncatedOtherVersionsAndBareAnswersAreRejected() {
    byte[] good = CachedAnswers.encode(ANSWER);
    for (int n = 0; n < good.length; n++) {
      assertThat(CachedAnswers.decode(Arrays.copyOf(good, n))).as("first %d bytes", n).isNull();
    }
    byte[] otherVersion = good.clone();
    otherVersion[0] = 2;
    assertThat(CachedAnswers.decode(otherVersion)).isNull();
    // What releases before the envelope stored.
    assertThat(CachedAnswers.decode(ANSWER.toByteArray())).isNull();
  }

  @Test
  void randomBytesAreRejected() {
    Trials.run(
        2_000,
        random -> {
          byte[] bytes = new byte[random.nextInt(64)];
          random.nextBytes(bytes);
          // A 1 in 2^32 chance of a matching checksum: far below one in these trials.
          assertThat(CachedAnswers.decode(bytes)).isNull();
        });
  }
}
