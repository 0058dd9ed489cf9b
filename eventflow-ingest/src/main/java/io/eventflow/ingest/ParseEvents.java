package io.eventflow.ingest;

import io.eventflow.common.ValidationLimits;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Decodes and validates Pub/Sub messages: valid events go to {@link #VALID}, everything else to
 * {@link #INVALID} as an {@link InvalidMessage} keeping the original message and a reason code.
 *
 * <p>Counts every outcome in Beam metrics (namespace {@value #METRICS_NAMESPACE}): {@code
 * valid.<type>} per event type and {@code invalid.<REASON>} per reason code.
 */
public final class ParseEvents extends PTransform<PCollection<PubsubMessage>, PCollectionTuple> {
  private static final long serialVersionUID = 1L;

  /** The Beam metrics namespace of the parse counters. */
  public static final String METRICS_NAMESPACE = "eventflow.ingest";

  /** Valid events. */
  public static final TupleTag<Event> VALID = new TupleTag<>() {};

  /** Invalid messages, each with its reason. */
  public static final TupleTag<InvalidMessage> INVALID = new TupleTag<>() {};

  private final ValidationLimitsSpec limits;
  private final Clock clock;

  /** Creates the transform with the given limits and clock (receipt times, future skew). */
  public ParseEvents(ValidationLimits limits, Clock clock) {
    this.limits = new ValidationLimitsSpec(limits);
    this.clock = clock;
  }

  @Override
  public PCollectionTuple expand(PCollection<PubsubMessage> messages) {
    PCollectionTuple outcomes =
        messages.apply(
            "ParseAndValidate",
            ParDo.of(new ParseEventsFn(limits, clock))
                .withOutputTags(VALID, TupleTagList.of(INVALID)));
    outcomes.get(VALID).setCoder(ProtoCoder.of(Event.class));
    outcomes.get(INVALID).setCoder(ProtoCoder.of(InvalidMessage.class));
    return outcomes;
  }

  /** Returns the name of the counter of valid events of a type. */
  public static String validCounterName(String type) {
    // Types are validated only up to the string limit (64 Ki chars); a metric name need not be.
    return "valid." + (type.length() <= 100 ? type : type.substring(0, 100));
  }

  /** Returns the name of the counter of invalid messages with a reason. */
  public static String invalidCounterName(InvalidReason reason) {
    return "invalid." + reason.name();
  }

  /** Runs {@link EventParser} on each message and counts the outcomes. */
  static final class ParseEventsFn extends DoFn<PubsubMessage, Event> {
    private static final long serialVersionUID = 1L;

    private final ValidationLimitsSpec limits;
    private final Clock clock;
    private transient EventParser parser;
    private transient Map<String, Counter> counters;

    ParseEventsFn(ValidationLimitsSpec limits, Clock clock) {
      this.limits = limits;
      this.clock = clock;
    }

    @Setup
    public void setup() {
      parser = new EventParser(limits.toLimits(), clock);
      counters = new HashMap<>();
    }

    @ProcessElement
    public void processElement(@Element PubsubMessage message, MultiOutputReceiver out) {
      String messageId = message.getMessageId() == null ? "" : message.getMessageId();
      Map<String, String> attributes =
          message.getAttributeMap() == null ? Map.of() : message.getAttributeMap();
      byte[] payload = message.getPayload() == null ? new byte[0] : message.getPayload();
      ParseOutcome outcome = parser.parse(messageId, attributes, payload);
      if (outcome instanceof ParseOutcome.Valid valid) {
        count(validCounterName(valid.event().getType()));
        out.get(VALID).output(valid.event());
      } else {
        InvalidMessage invalid = ((ParseOutcome.Invalid) outcome).record();
        count(invalidCounterName(invalid.getReason()));
        out.get(INVALID).output(invalid);
      }
    }

    private void count(String name) {
      counters.computeIfAbsent(name, n -> Metrics.counter(METRICS_NAMESPACE, n)).inc();
    }
  }

  /** {@link ValidationLimits} in a serializable form, so DoFns can carry it to workers. */
  static final class ValidationLimitsSpec implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private final int maxPayloadBytes;
    private final int maxAttributes;
    private final int maxKeyLength;
    private final int maxStringLength;
    private final Instant earliestTimestamp;
    private final Duration maxFutureSkew;

    ValidationLimitsSpec(ValidationLimits limits) {
      this.maxPayloadBytes = limits.maxPayloadBytes();
      this.maxAttributes = limits.maxAttributes();
      this.maxKeyLength = limits.maxKeyLength();
      this.maxStringLength = limits.maxStringLength();
      this.earliestTimestamp = limits.earliestTimestamp();
      this.maxFutureSkew = limits.maxFutureSkew();
    }

    ValidationLimits toLimits() {
      return new ValidationLimits(
          maxPayloadBytes,
          maxAttributes,
          maxKeyLength,
          maxStringLength,
          earliestTimestamp,
          maxFutureSkew);
    }
  }
}
