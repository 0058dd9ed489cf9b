package io.eventflow.benchmarks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.google.protobuf.Duration;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.EventJson;
import io.eventflow.common.pb.Event;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoding a ~300-byte event from the UTF-8 bytes ingest receives: eventflow's codec against its
 * two anchors in the same run — protobuf's {@code JsonFormat} (target: at least 5x faster) and raw
 * Jackson streaming that only walks the tokens and builds nothing (target: at most 1.5x slower) —
 * plus binary protobuf (target: at least 1.5M messages/s per core).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EventJsonBenchmark {
  private static final JsonFactory JACKSON = new JsonFactory();
  private final JsonFormat.Parser jsonFormat = JsonFormat.parser();

  private byte[] json;
  private byte[] binary;

  /** Prints the sample event once in both encodings. */
  @Setup
  public void setUp() {
    Event event = SampleEvents.purchase();
    json = EventJson.printBytes(event);
    binary = event.toByteArray();
  }

  /** eventflow's codec, bytes to Event. */
  @Benchmark
  public Event eventJsonParse() throws Exception {
    return EventJson.parse(json);
  }

  /** The anchor to beat fivefold: JsonFormat, bytes to Event. */
  @Benchmark
  public Event jsonFormatParse() throws Exception {
    Event.Builder builder = Event.newBuilder();
    jsonFormat.merge(new String(json, StandardCharsets.UTF_8), builder);
    return builder.build();
  }

  /** The floor: Jackson walking every token of the same bytes, reading each value's text. */
  @Benchmark
  public void jacksonStreamingWalk(Blackhole blackhole) throws Exception {
    try (JsonParser parser = JACKSON.createParser(json)) {
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        if (token == JsonToken.FIELD_NAME) {
          blackhole.consume(parser.currentName());
        } else if (token.isScalarValue()) {
          blackhole.consume(parser.getText());
        }
      }
    }
  }

  /**
   * The floor every JSON decoder pays on top of tokenizing: building the same Event (builder, map,
   * seven attribute messages, timestamp) from values already at hand, with the strings copied as a
   * parser would allocate them.
   */
  @Benchmark
  public Event buildOnly() {
    return Event.newBuilder()
        .setId(new String(ID))
        .setType(new String(TYPE))
        .setSource(new String(SOURCE))
        .setCustomer(StringValue.of(new String(CUSTOMER)))
        .setTimestamp(Timestamp.newBuilder().setSeconds(1_717_171_717L).setNanos(123_000_000))
        .putAttributes(new String(AMOUNT), AttributeValues.of(4_999L))
        .putAttributes(new String(ITEMS), AttributeValues.of(3L))
        .putAttributes(new String(DISCOUNT), AttributeValues.of(0.15))
        .putAttributes(new String(CURRENCY), AttributeValues.of(new String(EUR)))
        .putAttributes(new String(FIRST_ORDER), AttributeValues.of(true))
        .putAttributes(new String(COUNTRY), AttributeValues.of(new String(DE)))
        .putAttributes(
            new String(LATENCY),
            AttributeValues.of(Duration.newBuilder().setNanos(1_500_000).build()))
        .build();
  }

  private static final char[] ID = "0190b3a4-7c1e-7d2a-9f3e-4b5c6d7e8f90".toCharArray();
  private static final char[] TYPE = "purchase".toCharArray();
  private static final char[] SOURCE = "checkout-service".toCharArray();
  private static final char[] CUSTOMER = "acme".toCharArray();
  private static final char[] AMOUNT = "amount".toCharArray();
  private static final char[] ITEMS = "items".toCharArray();
  private static final char[] DISCOUNT = "discount".toCharArray();
  private static final char[] CURRENCY = "currency".toCharArray();
  private static final char[] EUR = "EUR".toCharArray();
  private static final char[] FIRST_ORDER = "first_order".toCharArray();
  private static final char[] COUNTRY = "country".toCharArray();
  private static final char[] DE = "DE".toCharArray();
  private static final char[] LATENCY = "latency".toCharArray();

  /** Binary protobuf, the default payload encoding. */
  @Benchmark
  public Event binaryParse() throws Exception {
    return Event.parseFrom(binary);
  }

  /** eventflow's printer, Event to UTF-8 bytes (the publisher's JSON option and the archive). */
  @Benchmark
  public byte[] eventJsonPrint() {
    return EventJson.printBytes(SampleEventsHolder.EVENT);
  }

  /** Keeps the printed event out of the measured method's allocation. */
  private static final class SampleEventsHolder {
    static final Event EVENT = SampleEvents.purchase();
  }
}
