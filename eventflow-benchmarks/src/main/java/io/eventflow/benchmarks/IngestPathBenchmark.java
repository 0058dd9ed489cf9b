package io.eventflow.benchmarks;

import com.google.api.services.bigquery.model.TableRow;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.Event;
import io.eventflow.ingest.EventParser;
import io.eventflow.ingest.ParseOutcome;
import io.eventflow.ingest.RepublishEvents;
import io.eventflow.ingest.TableRows;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
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
 * The ingest job's CPU work per event, without Beam: Pub/Sub payload bytes and attributes through
 * {@link EventParser#parse} (decode and validate with the default {@link ValidationLimits}), then
 * the BigQuery row ({@link TableRows#eventRow}) and the republished message ({@link
 * RepublishEvents#toMessage}). Target: at least 100k events/s on one core.
 *
 * <p>Anchors in the same run, each step alone on the same event, so the table shows where the time
 * goes: decoding only ({@link EventJson#parse}, {@code Event.parseFrom}), parsing with validation
 * only ({@link EventParser#parse}), the row only, and the republished message only.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class IngestPathBenchmark {
  /**
   * Ingest's receipt time: an hour after the sample event, well inside the default 24-hour future
   * skew, fixed so validation takes the same path every run.
   */
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2024-05-31T17:08:37Z"), ZoneOffset.UTC);

  private final EventParser parser = new EventParser(ValidationLimits.DEFAULTS, CLOCK);

  private Event event;
  private byte[] json;
  private byte[] binary;
  private Map<String, String> jsonAttributes;
  private Map<String, String> binaryAttributes;

  /** Encodes the ~300-byte sample event both ways, with the attributes the publisher sets. */
  @Setup
  public void setUp() {
    event = SampleEvents.purchase();
    json = EventJson.printBytes(event);
    binary = event.toByteArray();
    jsonAttributes = publisherAttributes(event, ContentType.JSON);
    binaryAttributes = publisherAttributes(event, ContentType.PROTOBUF);
    // A benchmark of the invalid path would measure nothing useful: fail loudly instead.
    if (!(parser.parse("m", jsonAttributes, json) instanceof ParseOutcome.Valid)
        || !(parser.parse("m", binaryAttributes, binary) instanceof ParseOutcome.Valid)) {
      throw new IllegalStateException("the sample event does not pass validation");
    }
  }

  /** The attributes eventflow-publisher's {@code EventPublisher} puts on every message. */
  static Map<String, String> publisherAttributes(Event event, ContentType contentType) {
    return Map.of(
        MessageAttributes.ID, event.getId(),
        MessageAttributes.TIMESTAMP, Timestamps.toString(event.getTimestamp()),
        MessageAttributes.TYPE, event.getType(),
        MessageAttributes.SOURCE, event.getSource(),
        MessageAttributes.CUSTOMER, event.getCustomer().getValue(),
        MessageAttributes.CONTENT_TYPE, contentType.mimeType());
  }

  /** The whole path for a JSON payload: parse and validate, BigQuery row, republished bytes. */
  @Benchmark
  public void jsonPath(Blackhole blackhole) {
    path(json, jsonAttributes, blackhole);
  }

  /** The whole path for a binary protobuf payload (the publisher's default encoding). */
  @Benchmark
  public void binaryPath(Blackhole blackhole) {
    path(binary, binaryAttributes, blackhole);
  }

  private void path(byte[] payload, Map<String, String> attributes, Blackhole blackhole) {
    ParseOutcome outcome = parser.parse("1234567890", attributes, payload);
    Event valid = ((ParseOutcome.Valid) outcome).event();
    blackhole.consume(TableRows.eventRow(valid));
    blackhole.consume(RepublishEvents.toMessage(valid).getPayload());
  }

  /** Anchor: JSON decoding alone ({@link EventJson#parse}), no validation. */
  @Benchmark
  public Event decodeJsonOnly() throws Exception {
    return EventJson.parse(json);
  }

  /** Anchor: binary decoding alone ({@code Event.parseFrom}), no validation. */
  @Benchmark
  public Event decodeBinaryOnly() throws Exception {
    return Event.parseFrom(binary);
  }

  /**
   * Anchor: {@link EventParser#parse} of the JSON payload alone: decoding plus the id checks and
   * the validator (the dead-letter record is built only for a message that fails).
   */
  @Benchmark
  public ParseOutcome parseJsonOnly() {
    return parser.parse("1234567890", jsonAttributes, json);
  }

  /** Anchor: {@link EventParser#parse} of the binary payload alone. */
  @Benchmark
  public ParseOutcome parseBinaryOnly() {
    return parser.parse("1234567890", binaryAttributes, binary);
  }

  /** Anchor: the BigQuery row alone, from an event already decoded. */
  @Benchmark
  public TableRow rowOnly() {
    return TableRows.eventRow(event);
  }

  /** Anchor: the republished message alone (attributes and binary payload) from a decoded event. */
  @Benchmark
  public PubsubMessage republishOnly() {
    return RepublishEvents.toMessage(event);
  }
}
