package io.eventflow.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.common.pb.Event;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** Dedup by event id on the DirectRunner, with processing time driven by a TestStream. */
class DeduplicateEventsTest {
  private static final Instant T0 = Instant.EPOCH;
  private static final Duration WINDOW = Duration.standardMinutes(10);

  private static final Event A = TestEvents.event("a").build();
  private static final Event B = TestEvents.event("b").build();

  /** Another event that happens to carry A's id: the id alone decides. */
  private static final Event A_AGAIN = TestEvents.event("a").setSource("other-service").build();

  /** Runs the transform over the stream and asserts exactly the expected events come out. */
  private static void assertDeduplicated(TestStream<Event> input, Event... expected) {
    StreamingOptions options = PipelineOptionsFactory.create().as(StreamingOptions.class);
    options.setStreaming(true);
    Pipeline pipeline = Pipeline.create(options);
    PCollection<Event> output =
        pipeline.apply(input).apply("DeduplicateEvents", new DeduplicateEvents(WINDOW));
    PAssert.that(output).containsInAnyOrder(expected);

    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    // PAssert only counts; make sure the assertion actually ran.
    long successes = 0;
    for (MetricResult<Long> counter :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(PAssert.class, PAssert.SUCCESS_COUNTER))
                    .build())
            .getCounters()) {
      successes += counter.getAttempted();
    }
    assertThat(successes).isEqualTo(1);
  }

  private static TestStream.Builder<Event> stream() {
    return TestStream.create(ProtoCoder.of(Event.class));
  }

  /** A redelivery within the window is dropped; other ids pass. */
  @Test
  void repeatedIdWithinTheWindowIsDropped() {
    assertDeduplicated(
        stream()
            .addElements(TimestampedValue.of(A, T0), TimestampedValue.of(B, T0))
            .advanceProcessingTime(Duration.standardMinutes(9))
            .addElements(TimestampedValue.of(A, T0.plus(Duration.standardMinutes(9))))
            .advanceWatermarkToInfinity(),
        A,
        B);
  }

  /** The id decides, not the content: a different event with a seen id is dropped too. */
  @Test
  void differentEventWithASeenIdIsDropped() {
    assertDeduplicated(
        stream()
            .addElements(TimestampedValue.of(A, T0))
            .advanceProcessingTime(Duration.standardSeconds(1))
            .addElements(TimestampedValue.of(A_AGAIN, T0))
            .advanceWatermarkToInfinity(),
        A);
  }

  /** Ids are forgotten after the window, which bounds the state the job keeps. */
  @Test
  void idIsForgottenAfterTheWindow() {
    assertDeduplicated(
        stream()
            .addElements(TimestampedValue.of(A, T0))
            .advanceProcessingTime(WINDOW.plus(Duration.standardMinutes(1)))
            .addElements(TimestampedValue.of(A, T0.plus(Duration.standardMinutes(11))))
            .advanceWatermarkToInfinity(),
        A,
        A);
  }
}
