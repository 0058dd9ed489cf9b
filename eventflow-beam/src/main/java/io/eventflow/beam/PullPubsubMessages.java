package io.eventflow.beam;

import com.google.api.core.ApiFuture;
import com.google.protobuf.util.Timestamps;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.ModifyAckDeadlineRequest;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import java.io.IOException;
import java.io.Serializable;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessageWithAttributesAndMessageIdCoder;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TimestampedValue.TimestampedValueCoder;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Reads a Pub/Sub subscription in batches of up to 1,000 messages per unary Pull over Pub/Sub's
 * gRPC API, and emits the messages one by one with their attributes and message ids, as {@code
 * PubsubIO.readMessagesWithAttributesAndMessageId()} does.
 *
 * <p>Why it exists: Beam's DirectRunner reads an unbounded source 10 elements per bundle, and every
 * bundle costs the runner a round of scheduling, watermark updates and commits. Read through
 * PubsubIO, that capped the local stack at a few hundred messages per second. Here one element is a
 * whole pull, so a bundle carries up to 10,000 messages. On Dataflow, use PubsubIO: its native
 * source scales across workers and deduplicates redeliveries.
 *
 * <p>Messages are acknowledged when the runner finalizes the checkpoint that covers them, that is
 * after the bundle that read them is committed, and again when a reader resumes from that
 * checkpoint (after a crash between the commit and the acknowledgement); an unacknowledged message
 * comes back after the subscription's ack deadline (at least once). Element timestamps are the
 * timestamp attribute when one is configured and present (milliseconds since the epoch or RFC 3339,
 * as PubsubIO accepts), otherwise the publish time. The watermark is the oldest timestamp of the
 * latest pull, and the pull time less {@link #IDLE_WATERMARK_LAG} when a pull finds nothing or
 * waits at the broker for longer than {@link #QUIET_AFTER}.
 */
public final class PullPubsubMessages extends PTransform<PBegin, PCollection<PubsubMessage>> {
  private static final long serialVersionUID = 1L;

  /** Pub/Sub's largest pull answer. */
  static final int MAX_MESSAGES_PER_PULL = 1_000;

  /**
   * When a pull finds the subscription empty, everything published up to about now was delivered:
   * the watermark moves to the pull time less this margin for clock differences and messages still
   * being stored. Without it an idle subscription would hold the watermark forever.
   */
  static final Duration IDLE_WATERMARK_LAG = Duration.standardSeconds(2);

  /**
   * How long one read waits for a waiting pull before it returns nothing. After a pull found the
   * subscription empty, the next one waits at the broker until messages arrive (a waiting Pull), so
   * a quiet subscription costs one call per broker wait instead of one per read: the runner reads
   * again 50 ms after a read that returned nothing, and pulling on each such read (with a 25 ms
   * pause) kept 40% of an idle local stack's CPU busy in gRPC (JFR). A read waits 100 ms: at 20 ms
   * the reads of an idle stack cost 0.8% of a core, at 100 ms 0.2%; the runner's thread is held
   * that long only while nothing arrives (a waiting pull is answered at the first message), which
   * delays a checkpoint barrier or a stop by 100 ms at most.
   *
   * <p>While messages flow, pulls return at once with what is there: a waiting pull is answered at
   * the first message, and taking one small batch per read that way tripled the local stack's
   * latency (freshness p50 at 3,000 events/s: 15.7 s against 6.2 s).
   */
  static final java.time.Duration PULL_WAIT = java.time.Duration.ofMillis(100);

  /** How long one read waits for a pull answered at once: the round trip to the broker. */
  static final java.time.Duration IMMEDIATE_PULL_WAIT = java.time.Duration.ofSeconds(10);

  /**
   * A pull unanswered for this long found the subscription empty when it arrived (a waiting Pull is
   * answered at once when messages are there), and nothing has been published since: the watermark
   * may move as after an empty pull.
   */
  static final java.time.Duration QUIET_AFTER = java.time.Duration.ofMillis(200);

  /** At most this many ack ids per Acknowledge call (Pub/Sub caps a request at 512 KB). */
  private static final int ACKS_PER_REQUEST = 2_500;

  private final String subscription;
  private final PubsubEndpoint endpoint;
  private final @Nullable String timestampAttribute;

  private PullPubsubMessages(
      String subscription, PubsubEndpoint endpoint, @Nullable String timestampAttribute) {
    this.subscription = subscription;
    this.endpoint = endpoint;
    this.timestampAttribute = timestampAttribute;
  }

  /**
   * Reads {@code projects/P/subscriptions/S} at the endpoint of a Beam {@code --pubsubRootUrl}.
   *
   * @throws IllegalArgumentException if the root URL is not {@code http(s)://host[:port]}
   */
  public static PullPubsubMessages fromSubscription(String subscription, String pubsubRootUrl) {
    return new PullPubsubMessages(subscription, PubsubEndpoint.fromRootUrl(pubsubRootUrl), null);
  }

  /** Returns this read taking element timestamps from the given attribute when present. */
  public PullPubsubMessages withTimestampAttribute(String attribute) {
    return new PullPubsubMessages(subscription, endpoint, attribute);
  }

  @Override
  public PCollection<PubsubMessage> expand(PBegin input) {
    return input
        .apply("PullBatches", Read.from(new PullSource(subscription, endpoint, timestampAttribute)))
        .apply("Unbatch", ParDo.of(new UnbatchFn()))
        .setCoder(PubsubMessageWithAttributesAndMessageIdCoder.of());
  }

  /** Emits each message of a batch at its own timestamp (never before the batch's). */
  static final class UnbatchFn extends DoFn<List<TimestampedValue<PubsubMessage>>, PubsubMessage> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void processElement(
        @Element List<TimestampedValue<PubsubMessage>> batch, OutputReceiver<PubsubMessage> out) {
      for (TimestampedValue<PubsubMessage> message : batch) {
        out.outputWithTimestamp(message.getValue(), message.getTimestamp());
      }
    }
  }

  /** The unbounded source: each element is one pull's messages. */
  static final class PullSource
      extends UnboundedSource<List<TimestampedValue<PubsubMessage>>, PullCheckpoint> {
    private static final long serialVersionUID = 1L;

    /** Readers per subscription: Pub/Sub spreads messages over concurrent pullers. */
    private static final int MAX_SPLITS = 2;

    private final String subscription;
    private final PubsubEndpoint endpoint;
    private final @Nullable String timestampAttribute;

    PullSource(String subscription, PubsubEndpoint endpoint, @Nullable String timestampAttribute) {
      this.subscription = subscription;
      this.endpoint = endpoint;
      this.timestampAttribute = timestampAttribute;
    }

    @Override
    public List<PullSource> split(int desiredNumSplits, PipelineOptions options) {
      List<PullSource> splits = new ArrayList<>();
      for (int i = 0; i < Math.max(1, Math.min(desiredNumSplits, MAX_SPLITS)); i++) {
        splits.add(this);
      }
      return splits;
    }

    /**
     * Creates a reader; one resumed from a checkpoint first acknowledges the messages it names. A
     * runner resumes only from a committed checkpoint (Flink restores its latest completed one
     * after a crash; the DirectRunner finalizes a checkpoint before resuming from it), so those
     * messages were processed, but a crash may have come between the commit and the
     * acknowledgement: without this they would be delivered and processed again. Acknowledging an
     * acknowledged message does nothing, as in Pub/Sub.
     */
    @Override
    public PullReader createReader(PipelineOptions options, @Nullable PullCheckpoint checkpoint)
        throws IOException {
      PullSource current = atEndpointOf(options);
      if (checkpoint != null) {
        new PullCheckpoint(current.endpoint, subscription, checkpoint.ackIds())
            .finalizeCheckpoint();
      }
      return new PullReader(current);
    }

    /**
     * Returns this source reading from the endpoint of the running job's {@code --pubsubRootUrl}
     * when one is set. A runner that restores a checkpoint restores this source with it, endpoint
     * included, and the job that restores may reach Pub/Sub elsewhere: the local stack's broker
     * listens on a new port when started on port 0.
     */
    private PullSource atEndpointOf(PipelineOptions options) {
      String rootUrl = options.as(PubsubOptions.class).getPubsubRootUrl();
      if (rootUrl == null || rootUrl.equals(DefaultRootUrl.VALUE)) {
        return this;
      }
      PubsubEndpoint running = PubsubEndpoint.fromRootUrl(rootUrl);
      return running.equals(endpoint)
          ? this
          : new PullSource(subscription, running, timestampAttribute);
    }

    @Override
    public Coder<PullCheckpoint> getCheckpointMarkCoder() {
      return SerializableCoder.of(PullCheckpoint.class);
    }

    @Override
    public Coder<List<TimestampedValue<PubsubMessage>>> getOutputCoder() {
      return ListCoder.of(
          TimestampedValueCoder.of(PubsubMessageWithAttributesAndMessageIdCoder.of()));
    }

    Instant timestamp(ReceivedMessage received) {
      com.google.pubsub.v1.PubsubMessage message = received.getMessage();
      if (timestampAttribute != null) {
        String value = message.getAttributesMap().get(timestampAttribute);
        if (value != null) {
          try {
            return value.chars().allMatch(Character::isDigit)
                ? Instant.ofEpochMilli(Long.parseLong(value))
                : Instant.ofEpochMilli(java.time.Instant.parse(value).toEpochMilli());
          } catch (NumberFormatException | DateTimeParseException e) {
            // Not a timestamp: the publish time is the best estimate, and the payload's own
            // validation reports the problem.
          }
        }
      }
      return Instant.ofEpochMilli(Timestamps.toMillis(message.getPublishTime()));
    }
  }

  /** Beam's default {@code --pubsubRootUrl}: Google's service, not set by the job. */
  private static final class DefaultRootUrl {
    static final String VALUE =
        PipelineOptionsFactory.create().as(PubsubOptions.class).getPubsubRootUrl();
  }

  /** Ack ids of the batches a reader emitted since its previous checkpoint. */
  static final class PullCheckpoint implements UnboundedSource.CheckpointMark, Serializable {
    private static final long serialVersionUID = 1L;

    private final PubsubEndpoint endpoint;
    private final String subscription;
    private final ArrayList<String> ackIds;

    PullCheckpoint(PubsubEndpoint endpoint, String subscription, List<String> ackIds) {
      this.endpoint = endpoint;
      this.subscription = subscription;
      this.ackIds = new ArrayList<>(ackIds);
    }

    List<String> ackIds() {
      return ackIds;
    }

    // Value semantics, which Beam's SerializableCoder checks for (a checkpoint is cloned through
    // its coder when a reader is restored).
    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof PullCheckpoint other
          && endpoint.equals(other.endpoint)
          && subscription.equals(other.subscription)
          && ackIds.equals(other.ackIds);
    }

    @Override
    public int hashCode() {
      return Objects.hash(endpoint, subscription, ackIds);
    }

    @Override
    public void finalizeCheckpoint() throws IOException {
      for (int from = 0; from < ackIds.size(); from += ACKS_PER_REQUEST) {
        List<String> chunk = ackIds.subList(from, Math.min(ackIds.size(), from + ACKS_PER_REQUEST));
        try {
          endpoint
              .subscriber()
              .acknowledgeCallable()
              .call(
                  AcknowledgeRequest.newBuilder()
                      .setSubscription(subscription)
                      .addAllAckIds(chunk)
                      .build());
        } catch (RuntimeException e) {
          throw new IOException("cannot acknowledge messages of " + subscription, e);
        }
      }
    }
  }

  /**
   * Keeps one pull in flight and emits its batch; a read waits at most {@link #PULL_WAIT} for a
   * pull waiting at the broker, so the runner's thread is never held for long while idle.
   */
  static final class PullReader
      extends UnboundedSource.UnboundedReader<List<TimestampedValue<PubsubMessage>>> {
    private final PullSource source;
    private final List<String> emitted = new ArrayList<>();
    private @Nullable List<TimestampedValue<PubsubMessage>> current;
    private Instant currentTimestamp = BoundedWindow.TIMESTAMP_MIN_VALUE;
    private Instant watermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
    private boolean caughtUp;
    private @Nullable ApiFuture<PullResponse> pull;
    private boolean pullWaits;
    private boolean idle;
    private Instant pulledAt = BoundedWindow.TIMESTAMP_MIN_VALUE;

    PullReader(PullSource source) {
      this.source = source;
    }

    @Override
    public boolean start() throws IOException {
      return advance();
    }

    @Override
    public boolean advance() throws IOException {
      current = null;
      if (caughtUp) {
        // The last pull took everything there was: end the bundle here rather than pull again at
        // once, so the runner processes what it has and the next bundle finds a fuller batch.
        caughtUp = false;
        return false;
      }
      ApiFuture<PullResponse> inFlight = pull;
      if (inFlight == null) {
        inFlight = startPull();
      }
      PullResponse response;
      try {
        response =
            inFlight.get(
                (pullWaits ? PULL_WAIT : IMMEDIATE_PULL_WAIT).toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (pullWaits
            && Instant.now().isAfter(pulledAt.plus(Duration.millis(QUIET_AFTER.toMillis())))) {
          watermark = latest(watermark, Instant.now().minus(IDLE_WATERMARK_LAG));
        }
        return false;
      } catch (ExecutionException e) {
        pull = null;
        throw new IOException("cannot pull from " + source.subscription, e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while pulling from " + source.subscription, e);
      }
      pull = null;
      idle = response.getReceivedMessagesCount() == 0;
      if (idle) {
        // The broker's wait ended with nothing: everything published up to the pull was read.
        watermark = latest(watermark, pulledAt.minus(IDLE_WATERMARK_LAG));
        return false;
      }
      List<TimestampedValue<PubsubMessage>> batch =
          new ArrayList<>(response.getReceivedMessagesCount());
      Instant oldest = BoundedWindow.TIMESTAMP_MAX_VALUE;
      for (ReceivedMessage received : response.getReceivedMessagesList()) {
        com.google.pubsub.v1.PubsubMessage message = received.getMessage();
        Instant timestamp = source.timestamp(received);
        oldest = timestamp.isBefore(oldest) ? timestamp : oldest;
        batch.add(
            TimestampedValue.of(
                new PubsubMessage(
                    message.getData().toByteArray(),
                    message.getAttributesMap(),
                    message.getMessageId()),
                timestamp));
        emitted.add(received.getAckId());
      }
      caughtUp = batch.size() < MAX_MESSAGES_PER_PULL;
      current = batch;
      currentTimestamp = oldest;
      watermark = latest(watermark, oldest);
      return true;
    }

    /**
     * Sends a pull: one the broker answers at once, or, after a pull found nothing, one it answers
     * when messages are there or its wait ends.
     */
    @SuppressWarnings("deprecation") // setReturnImmediately: see the Javadoc of PULL_WAIT
    private ApiFuture<PullResponse> startPull() {
      pulledAt = Instant.now();
      pullWaits = idle;
      pull =
          source
              .endpoint
              .subscriber()
              .pullCallable()
              .futureCall(
                  PullRequest.newBuilder()
                      .setSubscription(source.subscription)
                      .setMaxMessages(MAX_MESSAGES_PER_PULL)
                      .setReturnImmediately(!pullWaits)
                      .build());
      return pull;
    }

    private static Instant latest(Instant a, Instant b) {
      return a.isAfter(b) ? a : b;
    }

    @Override
    public List<TimestampedValue<PubsubMessage>> getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return currentTimestamp;
    }

    @Override
    public Instant getWatermark() {
      return watermark;
    }

    @Override
    public PullCheckpoint getCheckpointMark() {
      PullCheckpoint checkpoint = new PullCheckpoint(source.endpoint, source.subscription, emitted);
      emitted.clear();
      return checkpoint;
    }

    @Override
    public PullSource getCurrentSource() {
      return source;
    }

    /**
     * Cancels the pull in flight. If it was answered already, its messages were never emitted: they
     * are handed back at once (an ack deadline of zero), not after their ack deadline, since the
     * DirectRunner closes and recreates readers every few bundles. The stub is shared by every
     * reader and checkpoint of this JVM (see PubsubEndpoint).
     */
    @Override
    public void close() {
      ApiFuture<PullResponse> inFlight = pull;
      pull = null;
      if (inFlight == null || inFlight.cancel(true)) {
        return;
      }
      try {
        List<String> unread = new ArrayList<>();
        for (ReceivedMessage received : inFlight.get().getReceivedMessagesList()) {
          unread.add(received.getAckId());
        }
        if (!unread.isEmpty()) {
          source
              .endpoint
              .subscriber()
              .modifyAckDeadlineCallable()
              .call(
                  ModifyAckDeadlineRequest.newBuilder()
                      .setSubscription(source.subscription)
                      .addAllAckIds(unread)
                      .setAckDeadlineSeconds(0)
                      .build());
        }
      } catch (ExecutionException | RuntimeException e) {
        // A failed pull took nothing; a failed hand-back leaves them to their ack deadline.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
