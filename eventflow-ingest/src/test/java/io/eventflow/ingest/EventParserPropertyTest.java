package io.eventflow.ingest;

import static io.eventflow.ingest.TestEvents.CLOCK;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzes the parse step: whatever the payload and attributes, a message ends as a valid event or as
 * an invalid-message record keeping the exact payload and a reason, and parsing never throws.
 */
class EventParserPropertyTest {
  /** Bytes that keep a mutated JSON document JSON-like, so the fuzz reaches deep into parsing. */
  private static final List<Byte> JSON_BYTES = jsonBytes();

  private final EventParser parser =
      new EventParser(ValidationLimits.DEFAULTS.withMaxPayloadBytes(4096), CLOCK);

  @Property(tries = 2000)
  void arbitraryBytesEndAsEventOrInvalidRecord(
      @ForAll("payloads") byte[] payload, @ForAll("contentTypes") String contentType) {
    checkOutcome(payload, contentType);
  }

  @Property(tries = 2000)
  void mutatedJsonEventsEndAsEventOrInvalidRecord(
      @ForAll("mutatedJson") byte[] payload, @ForAll("contentTypes") String contentType) {
    checkOutcome(payload, contentType);
  }

  @Property(tries = 2000)
  void mutatedBinaryEventsEndAsEventOrInvalidRecord(
      @ForAll("mutatedBinary") byte[] payload, @ForAll("contentTypes") String contentType) {
    checkOutcome(payload, contentType);
  }

  private void checkOutcome(byte[] payload, String contentType) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put(MessageAttributes.ID, "e-1");
    if (contentType != null) {
      attributes.put(MessageAttributes.CONTENT_TYPE, contentType);
    }

    ParseOutcome outcome = parser.parse("m", attributes, payload);

    if (outcome instanceof ParseOutcome.Valid valid) {
      assertThat(valid.event().getId()).isEqualTo("e-1");
    } else {
      InvalidMessage record = ((ParseOutcome.Invalid) outcome).record();
      assertThat(record.getReason())
          .isNotIn(InvalidReason.INVALID_REASON_UNSPECIFIED, InvalidReason.UNRECOGNIZED);
      assertThat(record.getMessage()).isNotBlank();
      assertThat(record.getPayload()).isEqualTo(ByteString.copyFrom(payload));
      assertThat(record.getAttributesMap()).isEqualTo(attributes);
    }
  }

  @Provide
  Arbitrary<String> contentTypes() {
    return Arbitraries.of(
            ContentType.JSON.mimeType(), ContentType.PROTOBUF.mimeType(), "text/plain", "")
        .injectNull(0.4);
  }

  @Provide
  Arbitrary<byte[]> payloads() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(5000);
  }

  @Provide
  Arbitrary<byte[]> mutatedJson() {
    byte[] json = EventJson.printBytes(TestEvents.event("e-1").build());
    return mutations(json);
  }

  @Provide
  Arbitrary<byte[]> mutatedBinary() {
    return mutations(TestEvents.event("e-1").build().toByteArray());
  }

  private static List<Byte> jsonBytes() {
    List<Byte> bytes = new ArrayList<>();
    for (byte b : "{}[]\":,\\ 0aeE-+.tfn\u00e9".getBytes(StandardCharsets.UTF_8)) {
      bytes.add(b);
    }
    return bytes;
  }

  /** A valid payload with a few bytes overwritten, inserted or cut off. */
  private static Arbitrary<byte[]> mutations(byte[] original) {
    Arbitrary<Integer> position = Arbitraries.integers().between(0, original.length - 1);
    Arbitrary<Byte> value = Arbitraries.oneOf(Arbitraries.bytes(), Arbitraries.of(JSON_BYTES));
    Arbitrary<byte[]> overwrite =
        Combinators.combine(position.list().ofMaxSize(4), value.list().ofSize(4))
            .as(
                (positions, values) -> {
                  byte[] copy = original.clone();
                  for (int i = 0; i < positions.size(); i++) {
                    copy[positions.get(i)] = values.get(i);
                  }
                  return copy;
                });
    Arbitrary<byte[]> truncate = position.map(length -> java.util.Arrays.copyOf(original, length));
    Arbitrary<byte[]> insert =
        Combinators.combine(position, value)
            .as(
                (at, b) -> {
                  byte[] copy = new byte[original.length + 1];
                  System.arraycopy(original, 0, copy, 0, at);
                  copy[at] = b;
                  System.arraycopy(original, at, copy, at + 1, original.length - at);
                  return copy;
                });
    return Arbitraries.oneOf(overwrite, truncate, insert);
  }
}
