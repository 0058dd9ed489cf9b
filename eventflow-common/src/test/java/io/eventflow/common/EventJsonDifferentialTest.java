package io.eventflow.common;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.eventflow.common.pb.Event;
import io.eventflow.testing.Trials;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Differential tests: {@link EventJson} against protobuf's {@code JsonFormat}, the specification it
 * must match. For every input, both accept with the same event or both reject; wherever the fast
 * path decides on its own, it agrees with JsonFormat; and printing is byte-identical.
 */
class EventJsonDifferentialTest {
  private static final JsonFormat.Printer COMPACT =
      JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Printer PRETTY = JsonFormat.printer();
  private static final JsonFormat.Printer PROTO_NAMES =
      JsonFormat.printer().preservingProtoFieldNames();

  /** What JsonFormat makes of a document: the event, or empty if it rejects it. */
  static Optional<Event> reference(String json) {
    Event.Builder builder = Event.newBuilder();
    try {
      JsonFormat.parser().merge(json, builder);
      return Optional.of(builder.build());
    } catch (InvalidProtocolBufferException | RuntimeException | StackOverflowError e) {
      return Optional.empty();
    }
  }

  /** The reference for bytes: strict UTF-8 decoding, then JsonFormat. */
  static Optional<Event> reference(byte[] utf8) {
    try {
      String json =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(utf8))
              .toString();
      return reference(json);
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  static Optional<Event> ours(String json) {
    try {
      return Optional.of(EventJson.parse(json));
    } catch (EventJsonException e) {
      assertThat(e).hasMessageStartingWith("not a JSON event");
      return Optional.empty();
    }
  }

  static Optional<Event> ours(byte[] utf8) {
    try {
      return Optional.of(EventJson.parse(utf8));
    } catch (EventJsonException e) {
      assertThat(e.getMessage()).isNotBlank();
      return Optional.empty();
    }
  }

  /** Checks both paths of the codec against JsonFormat on one document. */
  static void assertAgrees(String json) {
    Optional<Event> expected = reference(json);
    assertThat(ours(json)).as("parse of %s", json).isEqualTo(expected);
    Event fast = EventJson.parseFastOrNull(json);
    if (fast != null) {
      assertThat(expected).as("fast path accepted what JsonFormat rejects: %s", json).isPresent();
      assertThat(fast).as("fast path result for %s", json).isEqualTo(expected.get());
    }
  }

  @Test
  void printsExactlyWhatJsonFormatPrints() {
    Trials.run(
        2000,
        r -> {
          Event event = Events.event(r);
          assertThat(EventJson.print(event)).isEqualTo(COMPACT.print(event));
        });
  }

  @Test
  void fastPathParsesEveryPrintedEventLikeJsonFormat() {
    Trials.run(2000, r -> fastPathParsesLikeJsonFormat(Events.event(r)));
  }

  private static void fastPathParsesLikeJsonFormat(Event event) throws Exception {
    for (String json :
        new String[] {COMPACT.print(event), PRETTY.print(event), PROTO_NAMES.print(event)}) {
      Event fast = EventJson.parseFastOrNull(json);
      assertThat(fast).as("fast path declined canonical output %s", json).isNotNull();
      assertThat(fast).isEqualTo(reference(json).orElseThrow());
      assertThat(EventJson.parse(json)).isEqualTo(fast);
    }
  }

  @Test
  void utf8BytesParseLikeJsonFormatOnStrictlyDecodedText() {
    Trials.run(
        500,
        r -> {
          byte[] bytes = COMPACT.print(Events.event(r)).getBytes(StandardCharsets.UTF_8);
          assertThat(ours(bytes)).isEqualTo(reference(bytes));
        });
  }

  @Test
  void mutatedDocumentsGetTheSameVerdict() {
    Trials.run(
        5000,
        r -> {
          String json = (r.nextBoolean() ? PRETTY : COMPACT).print(Events.event(r));
          assertAgrees(mutate(json, r));
        });
  }

  @Test
  void mutatedBytesGetTheSameVerdict() {
    Trials.run(
        2000,
        r -> {
          byte[] bytes = COMPACT.print(Events.event(r)).getBytes(StandardCharsets.UTF_8);
          int flips = 1 + r.nextInt(3);
          for (int i = 0; i < flips && bytes.length > 0; i++) {
            bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256);
          }
          assertThat(ours(bytes)).isEqualTo(reference(bytes));
        });
  }

  @Test
  void arbitraryJsonLikeTextGetsTheSameVerdict() {
    Trials.run(3000, r -> assertAgrees(jsonish(r)));
  }

  @Test
  void adversarialDocumentsGetTheSameVerdict() {
    String nested = "[".repeat(100_000);
    String[] documents = {
      "",
      " ",
      "null",
      "[]",
      "\"event\"",
      "{}",
      "{\"type\":\"a\"} trailing",
      "{\"type\":\"a\"}{\"type\":\"b\"}",
      "{\"type\":\"a\",\"type\":\"b\"}",
      "{\"attributes\":{\"k\":{\"intValue\":1},\"k\":{\"intValue\":2}}}",
      "{\"attributes\":{\"k\":{\"intValue\":1,\"int_value\":2}}}",
      "{\"attributes\":{\"k\":{\"intValue\":1,\"boolValue\":true}}}",
      "{\"attributes\":{\"k\":{\"intValue\":null}}}",
      "{\"attributes\":{\"k\":null}}",
      "{\"attributes\":{\"k\":{\"boolValue\":" + nested + "}}}",
      "{\"attributes\":" + "{\"k\":".repeat(10_000) + "1" + "}".repeat(10_000) + "}",
      "{\"attributes\":{\"k\":{\"intValue\":[5]}}}",
      "{\"attributes\":{\"k\":{\"intValue\":1e999999999}}}",
      "{\"attributes\":{\"k\":{\"intValue\":\"9223372036854775808\"}}}",
      "{\"attributes\":{\"k\":{\"intValue\":9223372036854775807}}}",
      "{\"attributes\":{\"k\":{\"intValue\":-9223372036854775808}}}",
      "{\"attributes\":{\"k\":{\"intValue\":" + "9".repeat(5000) + "}}}",
      "{\"attributes\":{\"k\":{\"intValue\":1.0}}}",
      "{\"attributes\":{\"k\":{\"intValue\":\"+5\"}}}",
      "{\"attributes\":{\"k\":{\"intValue\":01}}}",
      "{\"attributes\":{\"k\":{\"floatValue\":1e400}}}",
      "{\"attributes\":{\"k\":{\"floatValue\":-0}}}",
      "{\"attributes\":{\"k\":{\"floatValue\":NaN}}}",
      "{\"attributes\":{\"k\":{\"floatValue\":\"-Infinity\"}}}",
      "{\"attributes\":{\"k\":{\"floatValue\":1.7976931348623157e308}}}",
      "{\"attributes\":{\"k\":{\"floatValue\":1.7976931348623159e308}}}",
      "{\"attributes\":{\"k\":{\"boolValue\":\"true\"}}}",
      "{\"attributes\":{\"k\":{\"boolValue\":1}}}",
      "{\"attributes\":{\"k\":{\"bytesValue\":\"_-8=\"}}}",
      "{\"attributes\":{\"k\":{\"bytesValue\":\"YQ\"}}}",
      "{\"attributes\":{\"k\":{\"bytesValue\":\"not base64!\"}}}",
      "{\"attributes\":{\"k\":{\"durationValue\":\"1.5s\"}}}",
      "{\"attributes\":{\"k\":{\"durationValue\":\"-0.000000001s\"}}}",
      "{\"attributes\":{\"k\":{\"durationValue\":\"315576000001s\"}}}",
      "{\"attributes\":{\"k\":{\"durationValue\":\"1.5\"}}}",
      "{\"attributes\":{\"k\":{\"timestampValue\":\"2024-02-29T23:59:59.999999999+05:45\"}}}",
      "{\"timestamp\":\"2023-02-29T00:00:00Z\"}",
      "{\"timestamp\":\"2024-1-1T0:0:0Z\"}",
      "{\"timestamp\":\"2024-01-01T00:00:00xyz.5Z\"}",
      "{\"timestamp\":\"2024-01-01T24:00:00Z\"}",
      "{\"timestamp\":\"2024-01-01T23:59:60Z\"}",
      "{\"timestamp\":\"0001-01-01T00:00:00+00:01\"}",
      "{\"timestamp\":\"9999-12-31T23:59:59-00:01\"}",
      "{\"timestamp\":\"2024-01-01T00:00:00.1234567891Z\"}",
      "{\"timestamp\":\"2024-01-01t00:00:00z\"}",
      "{\"timestamp\":\"2024-01-01T00:00:00+99:99\"}",
      "{\"timestamp\":1704067200}",
      "{\"customer\":null}",
      "{\"customer\":\"\"}",
      "{\"customer\":42}",
      "{\"type\":42}",
      "{\"type\":true}",
      "{\"unknown\":1}",
      "{\"Type\":\"a\"}",
      "{type:\"a\"}",
      "{'type':'a'}",
      "{\"type\":\"a\" /* comment */}",
      "// comment\n{\"type\":\"a\"}",
      "\uFEFF{\"type\":\"a\"}",
      "{\"type\":\"a\",}",
      "{\"type\":\"a\";\"source\":\"b\"}",
      "{\"type\"=\"a\"}",
      "{\"type\":\"a\nb\"}",
      "{\"type\":\"\\ud800\"}",
      "{\"type\":\"\\u00e9\\'\"}",
      "{\"type\":\"a\"",
      "{\"attributes\":{\"k\":{\"stringValue\":\"x\"}}",
    };
    for (String json : documents) {
      assertAgrees(json);
    }
  }

  @Test
  void invalidUtf8GetsTheSameVerdictAsStrictDecoding() {
    byte[][] payloads = {
      {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'},
      {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0x80, '"', '}'},
      {
        '{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'
      },
      {
        '{',
        '"',
        't',
        'y',
        'p',
        'e',
        '"',
        ':',
        '"',
        (byte) 0xF5,
        (byte) 0x80,
        (byte) 0x80,
        (byte) 0x80,
        '"',
        '}'
      },
      {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xE2, (byte) 0x82, '"', '}'},
      {
        '{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xEF, (byte) 0xBF, (byte) 0xBD, '"', '}'
      },
    };
    for (byte[] payload : payloads) {
      assertThat(ours(payload)).isEqualTo(reference(payload));
    }
  }

  private static final String[] PREFIXES = {
    "",
    "{\"type\":",
    "{\"customer\":",
    "{\"timestamp\":\"2024-01-01T",
    "{\"attributes\":{\"k\":{\"intValue\":",
    "{\"attributes\":{\"k\":{\"floatValue\":",
    "{\"attributes\":{\"k\":{\"durationValue\":\""
  };

  private static final String JSONISH = "{}[]:,\"\\ 0123456789eE.+-tfnaulrsxyzTZ/'#*\n\tIN";

  /** A field's opening followed by up to 40 characters JSON parsers care about. */
  static String jsonish(Random r) {
    StringBuilder s = new StringBuilder(PREFIXES[r.nextInt(PREFIXES.length)]);
    int length = r.nextInt(41);
    for (int i = 0; i < length; i++) {
      s.append(JSONISH.charAt(r.nextInt(JSONISH.length())));
    }
    return s.toString();
  }

  /** Applies one to three random edits that JSON parsers disagree on when they are careless. */
  static String mutate(String json, Random random) {
    StringBuilder s = new StringBuilder(json);
    String alphabet = "{}[]:,\"\\ 0123456789eE.+-tfnlu/'#*\n\u00e9\u2028";
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits && s.length() > 0; e++) {
      int at = random.nextInt(s.length());
      switch (random.nextInt(6)) {
        case 0 -> s.deleteCharAt(at);
        case 1 -> s.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
        case 2 -> s.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
        case 3 -> s.setLength(at);
        case 4 -> {
          int end = Math.min(s.length(), at + 1 + random.nextInt(12));
          s.insert(random.nextInt(s.length()), s.substring(at, end));
        }
        default -> {
          int end = Math.min(s.length(), at + 1 + random.nextInt(8));
          s.delete(at, end);
        }
      }
    }
    return s.toString();
  }
}
