package io.eventflow.timeseries.rollups;

import com.google.protobuf.InvalidProtocolBufferException;
import io.eventflow.common.ContentType;
import io.eventflow.common.EventJson;
import io.eventflow.common.EventJsonException;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.DeadLetters;
import io.eventflow.ingest.pb.InvalidMessage;
import java.io.Serializable;
import java.time.Clock;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the validated events ingest republishes: binary protobuf, or proto3 JSON when the {@code
 * content-type} attribute says so. Decoded events go to {@link #EVENTS}; every message that does
 * not decode goes to {@link #UNDECODABLE} as ingest's dead-letter record ({@link InvalidMessage}:
 * message id, attributes, exact payload, receipt time, reason {@code MALFORMED_PROTOBUF} or {@code
 * MALFORMED_JSON}, and a description starting {@value #DESCRIPTION_PREFIX}).
 *
 * <p>Ingest validated and re-encoded every message on this topic, so one that does not decode here
 * is a bug upstream or a foreign publisher, not user input. It is still data: it is counted ({@code
 * undecodableMessages}), logged by message id and reason, and written where ingest's dead letters
 * go, so acknowledging it loses nothing. A {@link RuntimeException} from a codec (a codec bug) is
 * treated the same way, as in ingest: rethrown, it would fail the bundle, and the runner would
 * retry the same message forever instead of moving on.
 */
public final class DecodeEvents extends PTransform<PCollection<PubsubMessage>, PCollectionTuple> {
  private static final long serialVersionUID = 1L;

  /** Decoded events. */
  public static final TupleTag<Event> EVENTS = new TupleTag<>() {};

  /** Messages that did not decode, as dead-letter records with their reason. */
  public static final TupleTag<InvalidMessage> UNDECODABLE = new TupleTag<>() {};

  /** Starts every dead letter's description, telling it from ingest's own. */
  static final String DESCRIPTION_PREFIX = "rollups: ";

  /** Turns a message into an event, or throws. */
  @FunctionalInterface
  interface Decoder extends Serializable {
    /** Decodes the payload as {@code json} or binary protobuf. */
    Event decode(byte[] payload, boolean json)
        throws InvalidProtocolBufferException, EventJsonException;
  }

  private final Clock clock;
  private final Decoder decoder;

  /** Decodes with the project's codecs, stamping dead letters with {@code clock}. */
  public DecodeEvents(Clock clock) {
    this(clock, (payload, json) -> json ? EventJson.parse(payload) : Event.parseFrom(payload));
  }

  /** Decodes with {@code decoder}; tests give one that fails in ways the real codecs rarely do. */
  DecodeEvents(Clock clock, Decoder decoder) {
    this.clock = clock;
    this.decoder = decoder;
  }

  @Override
  public PCollectionTuple expand(PCollection<PubsubMessage> messages) {
    // The step keeps its name ("Decode") from before it had a dead-letter output.
    PCollectionTuple decoded =
        messages.apply(
            "Decode",
            ParDo.of(new DecodeFn(clock, decoder))
                .withOutputTags(EVENTS, TupleTagList.of(UNDECODABLE)));
    decoded.get(EVENTS).setCoder(ProtoCoder.of(Event.class));
    decoded.get(UNDECODABLE).setCoder(ProtoCoder.of(InvalidMessage.class));
    return decoded;
  }

  /** Decodes one message, or dead-letters it. */
  static final class DecodeFn extends DoFn<PubsubMessage, Event> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DecodeEvents.class);
    private final Counter undecodable = Metrics.counter(DecodeEvents.class, "undecodableMessages");
    private final Clock clock;
    private final Decoder decoder;

    DecodeFn(Clock clock, Decoder decoder) {
      this.clock = clock;
      this.decoder = decoder;
    }

    @ProcessElement
    public void processElement(@Element PubsubMessage message, MultiOutputReceiver out) {
      String contentType = message.getAttribute(MessageAttributes.CONTENT_TYPE);
      boolean json =
          contentType != null
              && ContentType.fromMimeType(contentType).orElse(null) == ContentType.JSON;
      InvalidReason reason = json ? InvalidReason.MALFORMED_JSON : InvalidReason.MALFORMED_PROTOBUF;
      String failure;
      try {
        byte[] payload = message.getPayload() == null ? new byte[0] : message.getPayload();
        out.get(EVENTS).output(decoder.decode(payload, json));
        return;
      } catch (InvalidProtocolBufferException | EventJsonException e) {
        failure = e.getMessage();
      } catch (RuntimeException e) {
        // The codecs promise the exceptions above for bad input; anything else is a codec bug.
        failure = e.toString();
      }
      undecodable.inc();
      LOG.warn("dead-lettered message {}: {}", message.getMessageId(), reason);
      out.get(UNDECODABLE)
          .output(
              DeadLetters.of(
                  message,
                  clock,
                  reason,
                  DESCRIPTION_PREFIX
                      + (json
                          ? "payload is not a JSON event: "
                          : "payload is not a protobuf event: ")
                      + failure));
    }
  }
}
