package io.eventflow.beam;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

/** The checkpointed dedup as a step of a job (the DirectRunner keeps its state per key too). */
class DropRepeatedIdsInStateTest {
  /**
   * 500 ids spread over the shards, each sent one to three times with a different payload: one
   * element per id comes out, the first of each id is not required (order within a job is free).
   */
  @Test
  void oneElementPerIdComesOut() {
    List<String> in = new ArrayList<>();
    int ids = 500;
    for (int i = 0; i < ids; i++) {
      for (int copy = 0; copy <= i % 3; copy++) {
        in.add("id-" + i + ":" + copy);
      }
    }
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    PCollection<String> out =
        pipeline
            .apply(Create.of(in).withCoder(StringUtf8Coder.of()))
            .apply(
                new DropRepeatedIdsInState<>(
                    s -> s.substring(0, s.indexOf(':')), Duration.standardMinutes(10)))
            .apply(
                org.apache.beam.sdk.transforms.MapElements.into(
                        org.apache.beam.sdk.values.TypeDescriptors.strings())
                    .via(s -> s.substring(0, s.indexOf(':'))));
    PAssert.that(out).containsInAnyOrder(IntStream.range(0, ids).mapToObj(i -> "id-" + i).toList());
    pipeline.run().waitUntilFinish();
  }

  /** A window shorter than the one-second resolution of the table is refused when built. */
  @Test
  void aSubSecondWindowIsRefused() {
    assertThatThrownBy(() -> new DropRepeatedIdsInState<String>(s -> s, Duration.millis(999)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1 s");
  }
}
