package io.eventflow.beam;

import com.google.api.core.ApiFuture;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PublishResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * Publishes messages to a Pub/Sub topic in batches of up to 1,000 per unary Publish over Pub/Sub's
 * gRPC API, within the bundle that produced them: a bundle commits only once its messages are
 * stored, so nothing is lost and a retried bundle may publish twice (at least once, as PubsubIO).
 * Batches are sent as they fill, up to {@value #MAX_BATCHES_IN_FLIGHT} at a time, and the bundle
 * waits for all of them only at its end: the step keeps processing while the broker stores.
 *
 * <p>Why it exists: on the DirectRunner, PubsubIO publishes through Pub/Sub's REST API, whose JSON
 * and base64 encoding took an eighth of the local stack's CPU. On Dataflow, use PubsubIO.
 */
public final class PublishPubsubMessages extends PTransform<PCollection<PubsubMessage>, PDone> {
  private static final long serialVersionUID = 1L;

  /** Pub/Sub's most messages per Publish call. */
  static final int MAX_MESSAGES_PER_PUBLISH = 1_000;

  /** Pub/Sub's largest Publish request is 10 MB; stay clear of it. */
  static final int MAX_BYTES_PER_PUBLISH = 8 * 1024 * 1024;

  /**
   * Publish calls awaiting their answer before the next one waits for the oldest: 8 batches of up
   * to 1,000 messages bound what a slow broker can make the step hold in memory. A bundle that
   * waited for every batch before sending the next spent a fifth of its time idle (JFR, 10,000
   * events/s on the local stack).
   */
  static final int MAX_BATCHES_IN_FLIGHT = 8;

  private final String topic;
  private final PubsubEndpoint endpoint;

  private PublishPubsubMessages(String topic, PubsubEndpoint endpoint) {
    this.topic = topic;
    this.endpoint = endpoint;
  }

  /**
   * Publishes to {@code projects/P/topics/T} at the endpoint of a Beam {@code --pubsubRootUrl}.
   *
   * @throws IllegalArgumentException if the root URL is not {@code http(s)://host[:port]}
   */
  public static PublishPubsubMessages toTopic(String topic, String pubsubRootUrl) {
    return new PublishPubsubMessages(topic, PubsubEndpoint.fromRootUrl(pubsubRootUrl));
  }

  @Override
  public PDone expand(PCollection<PubsubMessage> messages) {
    messages.apply("PublishBatches", ParDo.of(new PublishFn(topic, endpoint)));
    return PDone.in(messages.getPipeline());
  }

  /** Buffers a bundle's messages and publishes them, all stored before the bundle ends. */
  static final class PublishFn extends DoFn<PubsubMessage, Void> {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final PubsubEndpoint endpoint;

    /** The batch's messages, each already in its wire form (see {@link PubsubMessageBytes}). */
    private transient List<ByteString> batch = new ArrayList<>();

    private transient int batchBytes;
    private transient Deque<ApiFuture<PublishResponse>> inFlight = new ArrayDeque<>();

    PublishFn(String topic, PubsubEndpoint endpoint) {
      this.topic = topic;
      this.endpoint = endpoint;
    }

    @StartBundle
    public void startBundle() {
      batch = new ArrayList<>();
      batchBytes = 0;
      inFlight = new ArrayDeque<>();
    }

    @ProcessElement
    public void processElement(@Element PubsubMessage message) throws Exception {
      ByteString encoded =
          PubsubMessageBytes.encode(message.getPayload(), message.getAttributeMap());
      if (batchBytes + encoded.size() > MAX_BYTES_PER_PUBLISH) {
        flush();
      }
      batch.add(encoded);
      batchBytes += encoded.size();
      if (batch.size() >= MAX_MESSAGES_PER_PUBLISH) {
        flush();
      }
    }

    @FinishBundle
    public void finishBundle() throws Exception {
      send();
      // The bundle commits (and the source may acknowledge its input) only once every batch it
      // published is stored.
      while (!inFlight.isEmpty()) {
        awaitOldest();
      }
    }

    private void flush() throws Exception {
      send();
      if (inFlight.size() >= MAX_BATCHES_IN_FLIGHT) {
        awaitOldest();
      }
    }

    private void send() {
      if (batch.isEmpty()) {
        return;
      }
      inFlight.add(
          endpoint
              .publisher()
              .publishCallable()
              .futureCall(PubsubMessageBytes.request(topic, batch)));
      batch = new ArrayList<>();
      batchBytes = 0;
    }

    /** Waits for the oldest publish; its error fails the bundle, which the runner retries. */
    private void awaitOldest() throws Exception {
      ApiFuture<PublishResponse> oldest = inFlight.remove();
      try {
        oldest.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Exception exception) {
          throw exception;
        }
        throw e;
      }
    }
  }
}
