package io.eventflow.timeseries.rollups;

import static io.eventflow.timeseries.rollups.Events.event;
import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessageWithAttributesAndMessageIdCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/** Decoding validated events, and dead-lettering what does not decode. */
public class DecodeEventsTest {
  private static final Instant NOW = Instant.parse("2025-03-01T10:30:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final Coder<PubsubMessage> MESSAGES =
      PubsubMessageWithAttributesAndMessageIdCoder.of();

  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  /**
   * JUnit 4 tests are outside the root pom's 5-minute JUnit 5 default (junit.timeouts): the same
   * bound here, so a pipeline that never finishes fails the build instead of hanging it.
   */
  @Rule public final transient Timeout timeout = Timeout.seconds(300);

  /**
   * A protobuf event, a JSON event, a payload that is neither and a JSON-labelled payload that is
   * not JSON: the two events are decoded, the other two become dead letters keeping their bytes,
   * attributes and message id, with the reason of the codec that refused them.
   */
  @Test
  public void undecodableMessagesBecomeDeadLettersWithTheirReason() {
    Event a = event("a", "purchase", null, NOW).build();
    Event b = event("b", "purchase", "acme", NOW).build();
    PCollectionTuple decoded =
        pipeline
            .apply(
                Create.of(
                        message(a.toByteArray(), ContentType.PROTOBUF, "m1"),
                        message(EventJson.printBytes(b), ContentType.JSON, "m2"),
                        message(bytes("\u0007garbage"), ContentType.PROTOBUF, "m3"),
                        message(bytes("{not json"), ContentType.JSON, "m4"))
                    .withCoder(MESSAGES))
            .apply(new DecodeEvents(CLOCK));

    PAssert.that(decoded.get(DecodeEvents.EVENTS)).containsInAnyOrder(a, b);
    PAssert.that(decoded.get(DecodeEvents.UNDECODABLE))
        .satisfies(
            letters -> {
              assertThat(letters)
                  .extracting(InvalidMessage::getMessageId, InvalidMessage::getReason)
                  .containsExactlyInAnyOrder(
                      org.assertj.core.groups.Tuple.tuple("m3", InvalidReason.MALFORMED_PROTOBUF),
                      org.assertj.core.groups.Tuple.tuple("m4", InvalidReason.MALFORMED_JSON));
              for (InvalidMessage letter : letters) {
                assertThat(letter.getMessage()).startsWith(DecodeEvents.DESCRIPTION_PREFIX);
                assertThat(letter.getAttributesMap()).containsKey(MessageAttributes.CONTENT_TYPE);
                assertThat(letter.getReceivedAt().getSeconds()).isEqualTo(NOW.getEpochSecond());
                assertThat(letter.getPayload().toStringUtf8()).isIn("\u0007garbage", "{not json");
              }
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  /**
   * A codec that throws a runtime exception (a bug, not bad input) dead-letters the message naming
   * the exception, instead of failing the bundle, which the runner would retry forever.
   */
  @Test
  public void aCodecBugDeadLettersTheMessageInsteadOfFailingTheBundle() {
    PCollectionTuple decoded =
        pipeline
            .apply(Create.of(message(bytes("x"), ContentType.PROTOBUF, "m1")).withCoder(MESSAGES))
            .apply(
                new DecodeEvents(
                    CLOCK,
                    (payload, json) -> {
                      throw new IllegalStateException("codec bug");
                    }));

    PAssert.that(decoded.get(DecodeEvents.EVENTS)).empty();
    PAssert.that(decoded.get(DecodeEvents.UNDECODABLE))
        .satisfies(
            letters -> {
              assertThat(letters)
                  .singleElement()
                  .satisfies(
                      letter -> {
                        assertThat(letter.getReason()).isEqualTo(InvalidReason.MALFORMED_PROTOBUF);
                        assertThat(letter.getMessage())
                            .contains("IllegalStateException", "codec bug");
                      });
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  private static PubsubMessage message(byte[] payload, ContentType type, String id) {
    return new PubsubMessage(payload, Map.of(MessageAttributes.CONTENT_TYPE, type.mimeType()), id);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
