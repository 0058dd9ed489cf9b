package io.eventflow.broker;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The per-ordering-key state of a subscription with {@code enable_message_ordering}: for each key
 * with messages held back or outstanding, the batch in flight and the messages waiting behind it.
 *
 * <p>Pub/Sub's rules, which this keeps: messages with the same key are delivered in publish order;
 * a key has one outstanding batch at a time (the next messages of that key go out only once every
 * message of the batch is acknowledged); and redelivering a message (nack or lease expiry) also
 * redelivers every later message of its key, <em>even acknowledged ones</em>. Because of that last
 * rule an acknowledgement of a message behind an unacknowledged one of the same batch is held here
 * and journaled only once the whole prefix before it is acknowledged: until then a redelivery of
 * the earlier message would send it again anyway.
 *
 * <p>Not thread-safe: guarded by the owning {@link SubscriptionState}'s lock. Nothing here is
 * persisted; after a restart the subscription reads its unacknowledged messages from the log again
 * in offset order, which rebuilds the same per-key order.
 */
final class OrderedKeys {

  /** One ordering key's batch in flight and the messages waiting behind it. */
  static final class Key {
    final String name;

    /** Offsets of the batch in flight, in order; the journaled prefix is already removed. */
    final ArrayDeque<Long> inFlight = new ArrayDeque<>();

    /** Offsets of {@link #inFlight} acknowledged by the consumer but not yet journaled. */
    final Set<Long> ackedEarly = new HashSet<>();

    /** Offsets read from the log (or rewound) and not yet delivered, in order. */
    final ArrayDeque<Long> backlog = new ArrayDeque<>();

    /** The delivery batch that {@link #inFlight} belongs to. */
    long batch = -1;

    /** Whether this key is queued in {@link OrderedKeys#ready}. */
    boolean ready;

    Key(String name) {
      this.name = name;
    }

    /** Whether the next message of this key must wait, building delivery batch {@code batch}. */
    boolean blocked(long currentBatch, boolean fromBacklog) {
      return (!inFlight.isEmpty() && batch != currentBatch) || (!fromBacklog && !backlog.isEmpty());
    }
  }

  private final Map<String, Key> keys = new HashMap<>();

  /** Which key holds each offset it has in flight or in its backlog. */
  private final Map<Long, Key> held = new HashMap<>();

  /** Keys with nothing in flight and a non-empty backlog, in the order they became free. */
  private final ArrayDeque<Key> ready = new ArrayDeque<>();

  private int ackedEarlyCount;

  /** The state of {@code name}, created if absent. */
  Key key(String name) {
    return keys.computeIfAbsent(name, Key::new);
  }

  /** The key holding {@code offset} (in flight or waiting), or null. */
  @Nullable Key holderOf(long offset) {
    return held.get(offset);
  }

  /** Records that {@code offset} was leased as part of {@code key}'s batch {@code batch}. */
  void leased(Key key, long offset, long batch) {
    if (key.inFlight.isEmpty()) {
      key.batch = batch;
    }
    key.inFlight.add(offset);
    held.put(offset, key);
  }

  /** Holds {@code offset} back behind the key's batch in flight. */
  void holdBack(Key key, long offset) {
    key.backlog.add(offset);
    held.put(offset, key);
  }

  /** The next key with messages to deliver and nothing in flight, or null. */
  @Nullable Key nextReady() {
    return ready.peek();
  }

  /** Takes {@code key} off the ready queue (its backlog is delivered or its batch went out). */
  void unready(Key key) {
    if (key.ready) {
      ready.remove(key);
      key.ready = false;
    }
  }

  /** Takes the first waiting offset of {@code key} off its backlog, to deliver it now. */
  long takeHead(Key key) {
    long offset = key.backlog.poll();
    held.remove(offset);
    return offset;
  }

  /** Forgets {@code key} if it has nothing in flight and nothing waiting. */
  void settle(Key key) {
    forgetIfIdle(key);
  }

  /**
   * Records the consumer's ack of {@code offset} (in {@code key}'s batch in flight) and moves the
   * acknowledged prefix of the batch into {@code journal}; returns how many offsets it added there.
   */
  int acknowledged(Key key, long offset, long[] journal, int journalCount) {
    if (!key.inFlight.contains(offset) || !key.ackedEarly.add(offset)) {
      return 0;
    }
    ackedEarlyCount++;
    int n = 0;
    while (!key.inFlight.isEmpty() && key.ackedEarly.remove(key.inFlight.peekFirst())) {
      long done = key.inFlight.pollFirst();
      ackedEarlyCount--;
      held.remove(done);
      journal[journalCount + n++] = done;
    }
    if (key.inFlight.isEmpty()) {
      becameFree(key);
    }
    return n;
  }

  /**
   * Puts the whole batch in flight back at the head of the key's backlog, in order, forgetting
   * early acks: the redelivery Pub/Sub makes after a nack or an expired lease. Returns the offsets
   * that were in flight so the caller can drop their leases.
   */
  long[] rewind(Key key) {
    long[] offsets = new long[key.inFlight.size()];
    int i = 0;
    for (long offset : key.inFlight) {
      offsets[i++] = offset;
    }
    for (int j = offsets.length - 1; j >= 0; j--) {
      key.backlog.addFirst(offsets[j]);
    }
    ackedEarlyCount -= key.ackedEarly.size();
    key.ackedEarly.clear();
    key.inFlight.clear();
    becameFree(key);
    return offsets;
  }

  /** Acknowledged by the consumer, waiting for an earlier message of the same key. */
  int ackedEarlyCount() {
    return ackedEarlyCount;
  }

  /** Forgets every key (a seek starts delivery over from the log). */
  void clear() {
    keys.clear();
    held.clear();
    ready.clear();
    ackedEarlyCount = 0;
  }

  private void becameFree(Key key) {
    if (key.backlog.isEmpty()) {
      forgetIfIdle(key);
    } else if (!key.ready) {
      key.ready = true;
      ready.add(key);
    }
  }

  private void forgetIfIdle(Key key) {
    if (key.inFlight.isEmpty() && key.backlog.isEmpty()) {
      unready(key);
      keys.remove(key.name);
    }
  }
}
