package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class ConvertersTest {
  private final DurationConverter durations = new DurationConverter();
  private final RateConverter rates = new RateConverter();

  @Test
  void durationsTakeUnitSuffixesOrIso() {
    assertThat(durations.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(durations.convert("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(durations.convert("1.5m")).isEqualTo(Duration.ofSeconds(90));
    assertThat(durations.convert("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(durations.convert("PT1M")).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void durationsMustBePositiveAndWellFormed() {
    assertThatThrownBy(() -> durations.convert("0s"))
        .isInstanceOf(TypeConversionException.class)
        .hasMessage("duration must be positive, got '0s'");
    assertThatThrownBy(() -> durations.convert("10 minutes"))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageStartingWith("expected a duration like 500ms");
  }

  @Test
  void durationsPastLongNanosAreRefusedNotWrapped() {
    // 2^63 ns is 2,562,047.8 hours: one hour more used to wrap to a negative duration, and
    // 5,124,096h wrapped to a small positive one that was accepted.
    for (String tooLong :
        List.of("2562048h", "5124096h", "99999999999999999999ms", "PT9999999999999H")) {
      assertThatThrownBy(() -> durations.convert(tooLong))
          .as(tooLong)
          .isInstanceOf(TypeConversionException.class)
          .hasMessage(
              "duration is too long (at most 292 years, Long.MAX_VALUE nanoseconds), got '"
                  + tooLong
                  + "'");
    }
    assertThat(durations.convert("2562047h")).isEqualTo(Duration.ofHours(2_562_047));
  }

  @Test
  void linesLongerThanTheLimitAreDroppedAndReported() throws IOException {
    LineReader reader =
        new LineReader(
            new ByteArrayInputStream(
                ("ok\n" + "x".repeat(11) + "\n" + "y".repeat(10) + "\r\n" + "z".repeat(200_000))
                    .getBytes(StandardCharsets.UTF_8)),
            10);

    assertThat(new String(reader.next(), StandardCharsets.UTF_8)).isEqualTo("ok");
    assertThat(reader.tooLong()).isFalse();
    assertThat(reader.next()).isEmpty();
    assertThat(reader.tooLong()).isTrue();
    assertThat(reader.lastLength()).isEqualTo(11);
    assertThat(new String(reader.next(), StandardCharsets.UTF_8)).isEqualTo("y".repeat(10));
    assertThat(reader.tooLong()).isFalse();
    // A last line with no newline, far past the limit, is dropped whole, not accumulated.
    assertThat(reader.next()).isEmpty();
    assertThat(reader.tooLong()).isTrue();
    assertThat(reader.lastLength()).isEqualTo(200_000);
    assertThat(reader.next()).isNull();
  }

  @Test
  void ratesTakeAnOptionalPerSecondSuffix() {
    assertThat(rates.convert("500")).isEqualTo(500.0);
    assertThat(rates.convert("500/s")).isEqualTo(500.0);
    assertThat(rates.convert("0.5/s")).isEqualTo(0.5);
  }

  @Test
  void ratesMustBePositiveNumbers() {
    assertThatThrownBy(() -> rates.convert("-1")).hasMessage("rate must be positive, got '-1'");
    assertThatThrownBy(() -> rates.convert("NaN")).hasMessage("rate must be positive, got 'NaN'");
    assertThatThrownBy(() -> rates.convert("fast"))
        .hasMessage("expected events per second like 500/s, got 'fast'");
  }

  @Test
  void linesEndAtNewlinesWithOrWithoutCarriageReturn() throws IOException {
    assertThat(lines("a\nb\r\n\nc")).containsExactly("a", "b", "", "c");
    assertThat(lines("a\n")).containsExactly("a");
    assertThat(lines("")).isEmpty();
  }

  @Test
  void linesLongerThanTheBufferStayWhole() throws IOException {
    String longLine = "x".repeat(200_000);

    assertThat(lines(longLine + "\n" + longLine)).containsExactly(longLine, longLine);
  }

  private static List<String> lines(String text) throws IOException {
    LineReader reader =
        new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    List<String> lines = new ArrayList<>();
    for (byte[] line = reader.next(); line != null; line = reader.next()) {
      lines.add(new String(line, StandardCharsets.UTF_8));
    }
    return lines;
  }
}
