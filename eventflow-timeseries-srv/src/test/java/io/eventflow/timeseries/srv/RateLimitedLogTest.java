package io.eventflow.timeseries.srv;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class RateLimitedLogTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2024-12-01T00:00:00Z"));
  private final RateLimitedLog log =
      new RateLimitedLog(
          Logger.getLogger(RateLimitedLogTest.class.getName()), clock, Duration.ofMinutes(1));

  @Test
  void firstOfEachKindAtOnceThenOnePerIntervalWithTheCountNotLogged() {
    try (LogCapture lines = LogCapture.of(RateLimitedLogTest.class)) {
      RuntimeException e = new IllegalStateException("timed out");
      log.log(Level.WARNING, "failed", "Redis get failed", e);
      log.log(Level.WARNING, "failed", "Redis get failed", e);
      log.log(Level.WARNING, "pool_wait", "no free connection", null);
      clock.advance(Duration.ofSeconds(59));
      log.log(Level.WARNING, "failed", "Redis get failed", e);
      clock.advance(Duration.ofSeconds(1));
      log.log(Level.WARNING, "failed", "Redis put failed", e);

      assertThat(lines.lines())
          .containsExactly(
              "[failed] Redis get failed: java.lang.IllegalStateException: timed out",
              "[pool_wait] no free connection",
              "[failed] Redis put failed: java.lang.IllegalStateException: timed out"
                  + " (2 more of this kind not logged)");
    }
  }
}
