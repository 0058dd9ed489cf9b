package io.eventflow.broker;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.Subscription;
import io.eventflow.broker.filter.AttributeFilter;
import io.eventflow.broker.log.AckJournal;
import io.eventflow.broker.log.LogRecord;
import io.eventflow.broker.log.SegmentedLog;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription at run time: which offsets of its topic's log are acknowledged (persisted in an
 * {@link AckJournal}), which are leased to consumers until a deadline, and the dispatcher that
 * hands out the rest.
 *
 * <p>State is guarded by {@link #lock}. Delivery runs on a shared executor but never on two threads
 * at once for one subscription (a work-in-progress counter serializes it), so each sink sees one
 * delivery at a time and in offset order for first deliveries.
 */
final class SubscriptionState {
  private static final Logger logger = LoggerFactory.getLogger(SubscriptionState.class);

  /** Pub/Sub's largest pull response is 1000 messages; batches stay at that size. */
  private static final int MAX_BATCH_MESSAGES = 1000;

  /** Keep a delivery batch under 4 MiB, the default gRPC message limit of older clients. */
  private static final long MAX_BATCH_BYTES = 4L * 1024 * 1024;

  /** Forwards a message to a dead-letter topic. */
  interface DeadLetterForwarder {
    /** Publishes {@code message} to {@code topic}; the future completes once it is in the log. */
    CompletableFuture<?> forward(String topic, PubsubMessage message);
  }

  private static final class Lease {
    long deadlineMicros;
    @Nullable final DeliverySink sink;
    final int bytes;

    /** The ordering key's state on an ordered subscription; null for messages without a key. */
    final OrderedKeys.@Nullable Key key;

    /** The delivery attempt its ack id names (ordered subscriptions; 0 otherwise). */
    final int delivery;

    Lease(
        long deadlineMicros,
        @Nullable DeliverySink sink,
        int bytes,
        OrderedKeys.@Nullable Key key,
        int delivery) {
      this.deadlineMicros = deadlineMicros;
      this.sink = sink;
      this.bytes = bytes;
      this.key = key;
      this.delivery = delivery;
    }
  }

  private final String name;
  private volatile Subscription config;
  @Nullable private volatile TopicState topic;
  private final AttributeFilter filter;
  private final AckJournal journal;
  private final long origin;
  private final Clock clock;
  private final Executor dispatcher;
  private final BrokerMetrics metrics;
  private final DeadLetterForwarder deadLetters;

  private final Object lock = new Object();
  private final AckSet acked;
  private long readOffset;
  private long epoch;
  private final ArrayDeque<Long> redeliver = new ArrayDeque<>();
  private final Map<Long, Lease> leases = new HashMap<>();
  private final Map<Long, Integer> attempts = new HashMap<>();
  private long[] ackScratch = new long[256];
  private boolean deleted;

  /**
   * Whether {@code enable_message_ordering} is set. When it is not, none of the per-key code below
   * runs: an unordered subscription pays one boolean test per message for the feature.
   */
  private final boolean ordering;

  private final OrderedKeys ordered = new OrderedKeys();

  /** Counts delivery batches, so a key's batch in flight can grow only within its own batch. */
  private long batchSeq;

  private final List<DeliverySink> sinks = new CopyOnWriteArrayList<>();
  private final AtomicInteger drainRequests = new AtomicInteger();
  private int nextSink;

  SubscriptionState(
      Subscription config,
      @Nullable TopicState topic,
      AttributeFilter filter,
      AckJournal journal,
      long origin,
      Clock clock,
      Executor dispatcher,
      BrokerMetrics metrics,
      DeadLetterForwarder deadLetters) {
    this.name = config.getName();
    this.config = config;
    this.ordering = config.getEnableMessageOrdering();
    this.topic = topic;
    this.filter = filter;
    this.journal = journal;
    this.origin = origin;
    this.clock = clock;
    this.dispatcher = dispatcher;
    this.metrics = metrics;
    this.deadLetters = deadLetters;
    AckJournal.State state = journal.recovered();
    this.acked = new AckSet(state.cursor());
    for (long o : state.ackedAboveCursor()) {
      acked.add(o);
    }
    this.epoch = state.epoch();
    this.readOffset = acked.cursor();
  }

  String name() {
    return name;
  }

  /** Whether messages with the same ordering key are delivered in order, one batch at a time. */
  boolean ordering() {
    return ordering;
  }

  Subscription config() {
    return config;
  }

  @Nullable TopicState topic() {
    return topic;
  }

  /** The offset this subscription started at: messages published after its creation. */
  long origin() {
    return origin;
  }

  /** Every offset below this is acknowledged. */
  long cursor() {
    synchronized (lock) {
      return acked.cursor();
    }
  }

  /**
   * Sets bit {@code o - from} of {@code out} for every offset {@code o} in {@code [from, to)} not
   * acknowledged yet: what this subscription may still deliver. On an ordered subscription, acks
   * held behind an unacknowledged message of the same key count as not acknowledged.
   */
  void addUnacknowledged(long from, long to, BitSet out) {
    synchronized (lock) {
      acked.addUnacknowledged(from, to, out);
    }
  }

  /** Stops delivering: the topic was deleted. Pub/Sub keeps such subscriptions, detached. */
  void detach(Subscription detachedConfig) {
    synchronized (lock) {
      topic = null;
      config = detachedConfig;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sinks and dispatch

  void addSink(DeliverySink sink) {
    sinks.add(sink);
    signal();
  }

  void removeSink(DeliverySink sink) {
    sinks.remove(sink);
  }

  /** Asks the dispatcher to hand out whatever is deliverable now. Cheap; call it freely. */
  void signal() {
    if (drainRequests.getAndIncrement() == 0) {
      dispatcher.execute(this::drain);
    }
  }

  private void drain() {
    int missed = 1;
    do {
      try {
        while (drainOnce()) {
          // Keep going while some sink took messages.
        }
      } catch (RuntimeException e) {
        logger.error("delivery on {} failed", name, e);
      }
      missed = drainRequests.addAndGet(-missed);
    } while (missed != 0);
  }

  /** Leases a batch to {@code sink} on the caller's thread (a Pull answers at once if it can). */
  List<ReceivedMessage> leaseNow(DeliverySink sink) {
    synchronized (lock) {
      return leaseBatch(sink);
    }
  }

  /** Ends a waiting Pull that got nothing within its wait: it answers with no messages. */
  void endWait(BrokerEngine.PullSink sink) {
    synchronized (lock) {
      if (sink.claimed) {
        return;
      }
      sink.claimed = true;
    }
    removeSink(sink);
    sink.result.complete(List.of());
  }

  /** Gives each sink with capacity one batch; returns whether anything was delivered. */
  private boolean drainOnce() {
    boolean progress = false;
    int n = sinks.size();
    for (int i = 0; i < n && !sinks.isEmpty(); i++) {
      DeliverySink sink;
      List<ReceivedMessage> batch;
      synchronized (lock) {
        int index = Math.floorMod(nextSink++, sinks.size());
        sink = sinks.get(index);
        batch = leaseBatch(sink);
      }
      if (!batch.isEmpty()) {
        sink.deliver(batch);
        progress = true;
      }
    }
    return progress;
  }

  /** Leases the next deliverable messages to {@code sink}, within its capacity. Holds the lock. */
  private List<ReceivedMessage> leaseBatch(DeliverySink sink) {
    TopicState t = topic;
    if (deleted || t == null) {
      return List.of();
    }
    int maxMessages = Math.min(sink.availableMessages(), MAX_BATCH_MESSAGES);
    long maxBytes = Math.min(sink.availableBytes(), MAX_BATCH_BYTES);
    if (maxMessages <= 0 || maxBytes <= 0) {
      return List.of();
    }
    SegmentedLog log = t.log();
    long now = Micros.now(clock);
    long expiredBefore = now - Durations.toMicros(config.getMessageRetentionDuration());
    long deadline = now + sink.ackDeadlineSeconds() * 1_000_000L;
    List<ReceivedMessage> out = new ArrayList<>();
    long bytes = 0;
    batchSeq++;
    try {
      // Redeliveries (nacked or expired) go first: they are the oldest outstanding work.
      while (out.size() < maxMessages && bytes < maxBytes && !redeliver.isEmpty()) {
        long offset = redeliver.poll();
        if (acked.contains(offset) || leases.containsKey(offset) || offset >= readOffset) {
          continue;
        }
        List<LogRecord> records = log.read(offset, 1, Integer.MAX_VALUE);
        if (records.isEmpty() || records.get(0).offset() != offset) {
          markAcked(offset); // Deleted or compacted away: nothing left to deliver.
          continue;
        }
        bytes += offer(records.get(0), sink, deadline, expiredBefore, out, false);
      }
      if (ordering) {
        bytes +=
            leaseReadyKeys(log, sink, deadline, expiredBefore, out, maxMessages, maxBytes - bytes);
      }
      while (out.size() < maxMessages && bytes < maxBytes && readOffset < log.endOffset()) {
        List<LogRecord> records =
            log.read(
                readOffset,
                maxMessages - out.size(),
                (int) Math.min(Integer.MAX_VALUE, maxBytes - bytes));
        if (records.isEmpty()) {
          break;
        }
        for (LogRecord record : records) {
          // Offsets skipped on the way were deleted or compacted away, which happens only to
          // what this subscription acknowledged or let expire: nothing to deliver.
          for (long o = readOffset; o < record.offset(); o++) {
            markAcked(o);
          }
          readOffset = record.offset() + 1;
          if (acked.contains(record.offset())) {
            continue;
          }
          bytes += offer(record, sink, deadline, expiredBefore, out, false);
        }
      }
    } catch (IOException e) {
      // What was read before the failure is delivered; the failed read is tried again at the next
      // signal (a publish, an ack deadline, a new pull). Counted so a stuck subscription shows.
      metrics.logReadError(t.name());
      logger.error(
          "reading the log of {} for {} failed at offset {}; delivering the {} message(s) read"
              + " before it",
          t.name(),
          name,
          readOffset,
          out.size(),
          e);
    }
    if (!out.isEmpty()) {
      sink.claimed(out.size(), bytes);
    }
    return out;
  }

  /**
   * On an ordered subscription, delivers the messages held back behind ordering keys whose batch in
   * flight has been acknowledged (or rewound), each key's in order and as one batch. Holds the
   * lock; returns the bytes leased.
   */
  private long leaseReadyKeys(
      SegmentedLog log,
      DeliverySink sink,
      long deadline,
      long expiredBefore,
      List<ReceivedMessage> out,
      int maxMessages,
      long maxBytes)
      throws IOException {
    long bytes = 0;
    OrderedKeys.Key key;
    while (out.size() < maxMessages && bytes < maxBytes && (key = ordered.nextReady()) != null) {
      while (out.size() < maxMessages && bytes < maxBytes && !key.backlog.isEmpty()) {
        long offset = ordered.takeHead(key);
        if (acked.contains(offset)) {
          continue;
        }
        List<LogRecord> records = log.read(offset, 1, Integer.MAX_VALUE);
        if (records.isEmpty() || records.get(0).offset() != offset) {
          markAcked(offset); // Deleted or compacted away: nothing left to deliver.
          continue;
        }
        bytes += offer(records.get(0), sink, deadline, expiredBefore, out, true);
      }
      // Either the whole backlog went out, or the batch is full and the key now has a batch in
      // flight; both take it off the ready queue (an ack or a rewind puts it back).
      ordered.unready(key);
      ordered.settle(key);
    }
    return bytes;
  }

  /**
   * Leases one record to {@code sink} unless it is filtered, expired or dead-lettered, or (on an
   * ordered subscription) must wait behind its ordering key's batch in flight; {@code fromBacklog}
   * says it is the head of that key's waiting messages.
   */
  private int offer(
      LogRecord record,
      DeliverySink sink,
      long deadline,
      long expiredBefore,
      List<ReceivedMessage> out,
      boolean fromBacklog) {
    long offset = record.offset();
    // The message is decoded only when this subscription must look inside it (a filter, ordering
    // keys, a dead-letter topic); otherwise a framing check stands for the decode.
    PubsubMessage message = null;
    if (filter != AttributeFilter.matchAll() || ordering || config.hasDeadLetterPolicy()) {
      try {
        message = PubsubMessage.parseFrom(record.payload());
      } catch (InvalidProtocolBufferException e) {
        unreadable(offset, e);
        return 0;
      }
    } else if (!StoredMessages.isWellFormed(record.payload())) {
      unreadable(offset, null);
      return 0;
    }
    // Pub/Sub acknowledges messages a filter rejects; they are never delivered.
    if (message != null && !filter.matches(message.getAttributesMap())) {
      markAcked(offset);
      return 0;
    }
    // Unacknowledged messages older than the subscription's retention are dropped.
    if (record.publishTimeMicros() < expiredBefore) {
      markAcked(offset);
      return 0;
    }
    OrderedKeys.Key key = null;
    if (ordering && !message.getOrderingKey().isEmpty()) {
      key = ordered.key(message.getOrderingKey());
      if (key.blocked(batchSeq, fromBacklog)) {
        ordered.holdBack(key, offset);
        return 0;
      }
    }
    int attempt = attempts.merge(offset, 1, Integer::sum);
    Subscription c = config;
    if (c.hasDeadLetterPolicy() && attempt > c.getDeadLetterPolicy().getMaxDeliveryAttempts()) {
      // Pub/Sub forwards to the dead-letter topic best effort, outside the key's order.
      forwardToDeadLetterTopic(offset, message, attempt - 1);
      return 0;
    }
    int size = record.payload().length;
    int delivery = ordering ? attempt : 0;
    leases.put(offset, new Lease(deadline, sink, size, key, delivery));
    if (key != null) {
      ordered.leased(key, offset, batchSeq);
    }
    // The stored bytes go out as they are even when the message was decoded to look inside it.
    ReceivedMessage.Builder received =
        StoredMessages.received(record.payload())
            .setAckId(
                ordering ? AckIds.encode(epoch, offset, delivery) : AckIds.encode(epoch, offset));
    if (c.hasDeadLetterPolicy()) {
      received.setDeliveryAttempt(attempt);
    }
    out.add(received.build());
    return size;
  }

  /**
   * Skips a record that passed its CRC (so these are the bytes that were written) but is no
   * message: redelivering it would fail the same way forever. Counted so the skip is never silent.
   */
  private void unreadable(long offset, Exception cause) {
    metrics.unreadableMessage(name);
    logger.error(
        "message {} of {} is unreadable; skipping (acknowledging) it", offset, name, cause);
    markAcked(offset);
  }

  /**
   * Publishes the message to the dead-letter topic and acknowledges it here only once that publish
   * is in the log, so a crash in between redelivers rather than loses it. Until then it stays
   * leased with no deadline. Holds the lock.
   */
  private void forwardToDeadLetterTopic(long offset, PubsubMessage message, int deliveries) {
    String deadLetterTopic = config.getDeadLetterPolicy().getDeadLetterTopic();
    leases.put(offset, new Lease(Long.MAX_VALUE, null, 0, null, 0));
    long currentEpoch = epoch;
    TopicState t = topic;
    PubsubMessage forwarded =
        PubsubMessage.newBuilder()
            .setData(message.getData())
            .putAllAttributes(message.getAttributesMap())
            .setOrderingKey(message.getOrderingKey())
            .putAttributes("CloudPubSubDeadLetterSourceDeliveryCount", Integer.toString(deliveries))
            .putAttributes("CloudPubSubDeadLetterSourceSubscription", shortName(name))
            .putAttributes("CloudPubSubDeadLetterSourceSubscriptionProject", projectId(name))
            .putAttributes(
                "CloudPubSubDeadLetterSourceTopicPublishTime",
                Timestamps.toString(message.getPublishTime()))
            .build();
    deadLetters
        .forward(deadLetterTopic, forwarded)
        .whenComplete(
            (ok, error) -> {
              synchronized (lock) {
                if (epoch != currentEpoch || deleted) {
                  return;
                }
                leases.remove(offset);
                if (error == null) {
                  acknowledgeLocked(new long[] {offset}, 1);
                } else {
                  logger.warn(
                      "dead-lettering message {} of {} to {} failed; it will be redelivered",
                      offset,
                      name,
                      deadLetterTopic,
                      error);
                  redeliver.add(offset);
                }
              }
              if (error != null && t != null) {
                signal();
              }
            });
  }

  // ---------------------------------------------------------------------------------------------
  // Acks, deadlines, expiry

  /**
   * Acknowledges the given ack ids. Ids from before a seek, or of messages already acknowledged,
   * are ignored, as in Pub/Sub. The acks are journaled with one write before this returns.
   */
  void acknowledge(List<String> ackIds) {
    List<AckIds.AckId> ids = new ArrayList<>(ackIds.size());
    for (String id : ackIds) {
      ids.add(decode(id));
    }
    synchronized (lock) {
      if (deleted) {
        // Answering OK here would claim an ack the closed journal never recorded.
        throw Status.UNAVAILABLE
            .withDescription(
                "Subscription " + name + " is closing; the acknowledgement was not recorded.")
            .asRuntimeException();
      }
      // On an ordered subscription one ack can release the early acks held behind it.
      long[] offsets = new long[ids.size() + (ordering ? ordered.ackedEarlyCount() : 0)];
      int kept = 0;
      for (AckIds.AckId id : ids) {
        if (id.epoch() != epoch) {
          continue;
        }
        if (ordering) {
          kept += acknowledgeOrdered(id.offset(), id.delivery(), offsets, kept);
        } else {
          offsets[kept++] = id.offset();
        }
      }
      acknowledgeLocked(offsets, kept);
    }
  }

  /**
   * On an ordered subscription, sorts out one ack: a message without a key is journaled as usual; a
   * message in its key's batch in flight is journaled once every earlier message of the batch is
   * (together with the acknowledged ones behind it); a message waiting for redelivery is ignored,
   * since Pub/Sub redelivers it anyway. Adds what to journal now to {@code journal} from {@code
   * count} on and returns how many. Holds the lock.
   */
  private int acknowledgeOrdered(long offset, int delivery, long[] journal, int count) {
    OrderedKeys.Key key = ordered.holderOf(offset);
    if (key == null) {
      journal[count] = offset;
      return 1;
    }
    Lease lease = leases.get(offset);
    if (lease == null || lease.key != key || (delivery != 0 && lease.delivery != delivery)) {
      return 0; // Waiting for redelivery, or an ack of an earlier delivery.
    }
    leases.remove(offset);
    if (lease.sink != null) {
      lease.sink.released(1, lease.bytes);
    }
    int n = ordered.acknowledged(key, offset, journal, count);
    if (key.ready) {
      signal(); // The key's next batch can go out.
    }
    return n;
  }

  private void acknowledgeLocked(long[] offsets, int count) {
    if (deleted) {
      return;
    }
    if (ackScratch.length < count) {
      ackScratch = new long[count];
    }
    int n = 0;
    for (int i = 0; i < count; i++) {
      long offset = offsets[i];
      if (offset >= readOffset || acked.contains(offset)) {
        continue;
      }
      markAcked(offset);
      ackScratch[n++] = offset;
    }
    if (n == 0) {
      return;
    }
    try {
      journal.appendAcks(ackScratch, n);
      if (journal.needsCompaction()) {
        journal.compact(new AckJournal.State(acked.cursor(), epoch, acked.above()));
      }
    } catch (IOException e) {
      throw Status.INTERNAL
          .withDescription("could not persist acknowledgements of " + name + ": " + e.getMessage())
          .withCause(e)
          .asRuntimeException();
    }
  }

  /** Acknowledged in memory only: filtered, expired or deleted offsets, which replay the same. */
  private void markAcked(long offset) {
    acked.add(offset);
    attempts.remove(offset);
    Lease lease = leases.remove(offset);
    if (lease != null && lease.sink != null) {
      lease.sink.released(1, lease.bytes);
    }
  }

  /**
   * Sets the deadline of leased messages to {@code seconds} from now; 0 nacks them, making them
   * deliverable again at once.
   */
  void modifyAckDeadline(List<String> ackIds, int seconds) {
    List<AckIds.AckId> ids = new ArrayList<>(ackIds.size());
    for (String id : ackIds) {
      ids.add(decode(id));
    }
    boolean nacked = false;
    synchronized (lock) {
      long now = Micros.now(clock);
      for (AckIds.AckId id : ids) {
        if (id.epoch() != epoch) {
          continue;
        }
        Lease lease = leases.get(id.offset());
        if (lease == null || lease.sink == null) {
          continue;
        }
        if (lease.key != null && id.delivery() != lease.delivery) {
          continue; // About an earlier delivery of an ordered message, since redelivered.
        }
        if (seconds == 0 && lease.key != null) {
          rewind(lease.key);
          nacked = true;
        } else if (seconds == 0) {
          leases.remove(id.offset());
          lease.sink.released(1, lease.bytes);
          redeliver.add(id.offset());
          nacked = true;
        } else {
          lease.deadlineMicros = now + seconds * 1_000_000L;
        }
      }
    }
    if (nacked) {
      signal();
    }
  }

  /** Makes messages whose ack deadline passed deliverable again. Called on a timer. */
  void expireLeases() {
    boolean expired = false;
    synchronized (lock) {
      if (leases.isEmpty()) {
        return;
      }
      long now = Micros.now(clock);
      List<OrderedKeys.Key> rewound = null;
      Iterator<Map.Entry<Long, Lease>> it = leases.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<Long, Lease> e = it.next();
        Lease lease = e.getValue();
        if (lease.deadlineMicros <= now && lease.key != null) {
          // Rewound below, after the iteration: a rewind drops the key's other leases too.
          if (rewound == null) {
            rewound = new ArrayList<>();
          }
          rewound.add(lease.key);
          expired = true;
        } else if (lease.deadlineMicros <= now) {
          it.remove();
          if (lease.sink != null) {
            lease.sink.released(1, lease.bytes);
          }
          redeliver.add(e.getKey());
          expired = true;
        }
      }
      if (rewound != null) {
        rewound.forEach(this::rewind);
      }
    }
    if (expired) {
      signal();
    }
  }

  /**
   * Redelivers an ordering key's whole batch in flight, in order and before anything later of the
   * key: Pub/Sub's rule that redelivering a message redelivers every later message of its key,
   * acknowledged or not. Holds the lock.
   */
  private void rewind(OrderedKeys.Key key) {
    if (key.inFlight.isEmpty()) {
      return; // Already rewound (two of its leases expired in the same check).
    }
    for (long offset : ordered.rewind(key)) {
      Lease lease = leases.remove(offset);
      if (lease != null && lease.sink != null) {
        lease.sink.released(1, lease.bytes);
      }
    }
  }

  /**
   * Moves the subscription to {@code target}: everything before it counts as acknowledged and
   * everything from it on as not, forgetting outstanding leases (their ack ids stop working).
   */
  void seek(long target) {
    synchronized (lock) {
      resetLocked(target, new long[0]);
      try {
        journal.appendSeek(target, epoch);
      } catch (IOException e) {
        throw persistFailure("seek", e);
      }
    }
    signal();
  }

  /**
   * Sets the acknowledgement state to a snapshot's: everything below {@code cursor} and the offsets
   * in {@code ackedAbove} count as acknowledged, everything else (later messages included) as not.
   * Persisted as a new journal snapshot before this returns.
   */
  void seekToSnapshot(long cursor, long[] ackedAbove) {
    synchronized (lock) {
      resetLocked(cursor, ackedAbove);
      try {
        journal.compact(new AckJournal.State(acked.cursor(), epoch, acked.above()));
      } catch (IOException e) {
        throw persistFailure("seek", e);
      }
    }
    signal();
  }

  /** The acknowledgement state now: what a snapshot of this subscription captures. */
  AckJournal.State ackState() {
    synchronized (lock) {
      return new AckJournal.State(acked.cursor(), epoch, acked.above());
    }
  }

  /** Starts a new epoch at the given acknowledgement state, forgetting every lease. */
  private void resetLocked(long cursor, long[] ackedAbove) {
    forgetLeasesLocked();
    attempts.clear();
    acked.reset(cursor);
    for (long offset : ackedAbove) {
      acked.add(offset);
    }
    readOffset = acked.cursor();
  }

  private StatusRuntimeException persistFailure(String what, IOException e) {
    return Status.INTERNAL
        .withDescription("could not persist " + what + " of " + name + ": " + e.getMessage())
        .withCause(e)
        .asRuntimeException();
  }

  /**
   * Seeks without discarding acknowledgements: outstanding messages become deliverable again. This
   * is what a seek to the past amounts to when nothing acknowledged is retained.
   */
  void redeliverOutstanding() {
    synchronized (lock) {
      forgetLeasesLocked();
      readOffset = acked.cursor();
    }
    signal();
  }

  /** Starts a new epoch (old ack ids stop working) and drops every lease and pending delivery. */
  private void forgetLeasesLocked() {
    epoch++;
    for (Lease lease : leases.values()) {
      if (lease.sink != null) {
        lease.sink.released(1, lease.bytes);
      }
    }
    leases.clear();
    redeliver.clear();
    ordered.clear();
  }

  /** Forces the ack journal (the interval fsync timer calls this). */
  void sync() throws IOException {
    synchronized (lock) {
      journal.sync();
    }
  }

  /** How many consumers are attached: waiting Pulls and StreamingPull streams. */
  int sinkCount() {
    return sinks.size();
  }

  /** Whether {@link #close} ran: the journal is closed and acks are refused. */
  boolean isClosed() {
    synchronized (lock) {
      return deleted;
    }
  }

  /** Ends waiting Pulls and StreamingPull streams with UNAVAILABLE; acks keep working. */
  void endStreams() {
    for (DeliverySink sink : sinks) {
      sink.fail(Status.UNAVAILABLE.withDescription("the broker is shutting down"));
    }
    sinks.clear();
  }

  /** Ends every consumer and closes the journal; with {@code delete}, removes its files. */
  void close(boolean delete) throws IOException {
    synchronized (lock) {
      deleted = true;
      leases.clear();
    }
    for (DeliverySink sink : sinks) {
      sink.fail(
          delete
              ? Status.NOT_FOUND.withDescription(
                  "Subscription does not exist (resource=" + name + ")")
              : Status.UNAVAILABLE.withDescription("the broker is shutting down"));
    }
    sinks.clear();
    synchronized (lock) {
      if (delete) {
        journal.delete();
      } else {
        journal.close();
      }
    }
  }

  /**
   * Number of messages published to the topic since this subscription's position and not yet
   * acknowledged, delivered or not: zero means its consumer has caught up completely.
   */
  long unacknowledged() {
    synchronized (lock) {
      return unacknowledgedLocked();
    }
  }

  private long unacknowledgedLocked() {
    TopicState t = topic;
    if (t == null) {
      return 0;
    }
    return Math.max(0, t.log().endOffset() - acked.cursor() - acked.above().length);
  }

  /**
   * Number of unacknowledged messages not leased right now: never delivered, or redeliverable
   * because their lease expired or was nacked.
   */
  long undelivered() {
    synchronized (lock) {
      return Math.max(0, unacknowledgedLocked() - leases.size() - ordered.ackedEarlyCount());
    }
  }

  /**
   * Acknowledges every message leased right now, as if its consumer had acked it, and returns how
   * many. For an embedder that knows its consumer has durably processed everything it was given but
   * acks lazily (Beam's DirectRunner acks a read only when its next read returns data).
   */
  int acknowledgeLeased() {
    synchronized (lock) {
      long[] leased = new long[leases.size()];
      int n = 0;
      for (long offset : leases.keySet()) {
        leased[n++] = offset;
      }
      if (!ordering) {
        acknowledgeLocked(leased, n);
        return n;
      }
      java.util.Arrays.sort(leased);
      long[] offsets = new long[n + ordered.ackedEarlyCount()];
      int kept = 0;
      for (long offset : leased) {
        kept += acknowledgeOrdered(offset, 0, offsets, kept);
      }
      acknowledgeLocked(offsets, kept);
      return n;
    }
  }

  /**
   * The subscription's backlog now, with Cloud Monitoring's meanings: unacknowledged messages and
   * their bytes, the publish time of the oldest, how many are leased, and how many times the
   * unacknowledged ones were delivered.
   */
  Backlog backlog() throws IOException {
    long cursor;
    long[] above;
    long unacked;
    int leased;
    long[] attemptCounts = new long[Backlog.ATTEMPT_BUCKETS];
    TopicState t;
    synchronized (lock) {
      t = topic;
      cursor = acked.cursor();
      above = acked.above();
      unacked = unacknowledgedLocked();
      leased = leases.size();
      for (int a : attempts.values()) {
        attemptCounts[Math.min(a, Backlog.ATTEMPT_BUCKETS - 1)]++;
      }
    }
    if (t == null) {
      return new Backlog(0, 0, -1, 0, new long[Backlog.ATTEMPT_BUCKETS]);
    }
    SegmentedLog log = t.log();
    long from = Math.max(cursor, log.startOffset());
    long bytes = log.payloadBytes(from, log.endOffset());
    for (long offset : above) {
      bytes -= log.payloadBytes(offset, offset + 1);
    }
    long delivered = 0;
    for (int i = 1; i < attemptCounts.length; i++) {
      delivered += attemptCounts[i];
    }
    attemptCounts[0] = Math.max(0, unacked - delivered);
    return new Backlog(
        unacked,
        Math.max(0, bytes),
        unacked == 0 ? -1 : log.publishTimeMicros(from),
        leased,
        attemptCounts);
  }

  /** Number of leased (delivered, unacknowledged, unexpired) messages, for tests and logs. */
  int outstanding() {
    synchronized (lock) {
      return leases.size();
    }
  }

  private static AckIds.AckId decode(String ackId) {
    AckIds.AckId id = AckIds.decode(ackId);
    if (id == null) {
      throw Status.INVALID_ARGUMENT
          .withDescription(
              "You have passed an invalid ack ID to the service (ack_id=" + ackId + ").")
          .asRuntimeException();
    }
    return id;
  }

  private static String shortName(String resource) {
    return resource.substring(resource.lastIndexOf('/') + 1);
  }

  private static String projectId(String resource) {
    String[] parts = resource.split("/", -1);
    return parts.length > 1 ? parts[1] : "";
  }
}
