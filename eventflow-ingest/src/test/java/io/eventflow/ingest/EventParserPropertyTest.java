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
import io.eventflow.testing.Trials;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the parse step: whatever the payload and attributes, a message ends as a valid event or as
 * an invalid-message record keeping the exact payload and a reason, and parsing never throws.
 */
class EventParserPropertyTest {
  /** Bytes that keep a mutated JSON document JSON-like, so the fuzz reaches deep into parsing. */
  private static final byte[] JSON_BYTES =
      "{}[]\":,\\ 0aeE-+.tfn\u00e9".getBytes(StandardCharsets.UTF_8);

  private static final String[] CONTENT_TYPES = {
    ContentType.JSON.mimeType(), ContentType.PROTOBUF.mimeType(), "text/plain", ""
  };

  private final EventParser parser =
      new EventParser(ValidationLimits.DEFAULTS.withMaxPayloadBytes(4096), CLOCK);

  @Test
  void arbitraryBytesEndAsEventOrInvalidRecord() {
    Trials.run(
        2000,
        r -> {
          // A quarter of the payloads are 0..16 bytes so empty and one-byte payloads come up
          // often (as jqwik's edge cases did); the rest span 0..5000, past the 4096-byte limit.
          byte[] payload = new byte[r.nextInt(4) == 0 ? r.nextInt(17) : r.nextInt(5001)];
          r.nextBytes(payload);
          checkOutcome(payload, contentType(r));
        });
  }

  @Test
  void mutatedJsonEventsEndAsEventOrInvalidRecord() {
    byte[] json = EventJson.printBytes(TestEvents.event("e-1").build());
    Trials.run(2000, r -> checkOutcome(mutate(json, r), contentType(r)));
  }

  @Test
  void mutatedBinaryEventsEndAsEventOrInvalidRecord() {
    byte[] binary = TestEvents.event("e-1").build().toByteArray();
    Trials.run(2000, r -> checkOutcome(mutate(binary, r), contentType(r)));
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

  /** A content-type attribute, absent 40% of the time. */
  private static String contentType(Random r) {
    return r.nextInt(10) < 4 ? null : CONTENT_TYPES[r.nextInt(CONTENT_TYPES.length)];
  }

  /** Any byte half the time, else a byte that keeps JSON JSON-like. */
  private static byte mutationByte(Random r) {
    return r.nextBoolean() ? (byte) r.nextInt(256) : JSON_BYTES[r.nextInt(JSON_BYTES.length)];
  }

  /** A valid payload with up to four bytes overwritten, one inserted, or its tail cut off. */
  private static byte[] mutate(byte[] original, Random r) {
    switch (r.nextInt(3)) {
      case 0 -> {
        byte[] copy = original.clone();
        int overwrites = r.nextInt(5);
        for (int i = 0; i < overwrites; i++) {
          copy[r.nextInt(copy.length)] = mutationByte(r);
        }
        return copy;
      }
      case 1 -> {
        return Arrays.copyOf(original, r.nextInt(original.length));
      }
      default -> {
        int at = r.nextInt(original.length);
        byte[] copy = new byte[original.length + 1];
        System.arraycopy(original, 0, copy, 0, at);
        copy[at] = mutationByte(r);
        System.arraycopy(original, at, copy, at + 1, original.length - at);
        return copy;
      }
    }
  }
}
