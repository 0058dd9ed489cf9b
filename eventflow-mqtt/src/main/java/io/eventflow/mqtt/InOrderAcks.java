package io.eventflow.mqtt;

import java.util.ArrayDeque;
import java.util.function.LongConsumer;

/**
 * Acknowledges MQTT messages in the order they arrived, each only once its own durable step (the
 * Pub/Sub publish of its event or dead letter) has confirmed, and never one behind a message that
 * is still pending. MQTT 5.0 §4.6 asks a receiver to acknowledge in order; more importantly, a
 * broker that got the ack of a later message must not be left believing the earlier one is done.
 *
 * <p>Messages belong to one connection. When the connection ends, {@link #reset()} forgets every
 * pending message without acknowledging it: the broker redelivers them on the next connection of
 * the persistent session, and a publish confirming later acks nothing.
 *
 * <p>Thread-safe: messages are added by the MQTT dispatch thread and completed by Pub/Sub's
 * callback threads.
 */
final class InOrderAcks {
  /** One received message waiting for its ack. */
  static final class Pending {
    private final Runnable ack;
    private final long receivedNanos;
    private final long generation;
    private boolean confirmed;

    private Pending(Runnable ack, long receivedNanos, long generation) {
      this.ack = ack;
      this.receivedNanos = receivedNanos;
      this.generation = generation;
    }
  }

  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final LongConsumer onAcked;
  private long generation;

  /**
   * @param onAcked told, for each acknowledged message, the nanoseconds since it was received
   */
  InOrderAcks(LongConsumer onAcked) {
    this.onAcked = onAcked;
  }

  /** Adds a message received at {@code receivedNanos} ({@link System#nanoTime()}), in order. */
  synchronized Pending add(Runnable ack, long receivedNanos) {
    Pending message = new Pending(ack, receivedNanos, generation);
    pending.addLast(message);
    return message;
  }

  /**
   * Records that a message's durable step confirmed, and acknowledges it and every confirmed
   * message after it, up to the first one still waiting.
   */
  synchronized void confirmed(Pending message, long nowNanos) {
    if (message.generation != generation) {
      return; // its connection ended: the broker redelivers it
    }
    message.confirmed = true;
    while (!pending.isEmpty() && pending.peekFirst().confirmed) {
      Pending head = pending.removeFirst();
      // The ack (PUBACK) is sent only here: the event or dead letter is stored in Pub/Sub.
      head.ack.run();
      onAcked.accept(nowNanos - head.receivedNanos);
    }
    if (pending.isEmpty()) {
      notifyAll();
    }
  }

  /** Returns how many messages were received and not yet acknowledged on this connection. */
  synchronized int inFlight() {
    return pending.size();
  }

  /**
   * Forgets every pending message without acknowledging it, because its connection ended.
   *
   * @return how many were forgotten
   */
  synchronized int reset() {
    int dropped = pending.size();
    pending.clear();
    generation++;
    notifyAll();
    return dropped;
  }

  /**
   * Waits until every pending message is acknowledged or forgotten, at most until {@code
   * deadlineNanos} ({@link System#nanoTime()}).
   *
   * @return whether none is pending
   */
  synchronized boolean awaitEmpty(long deadlineNanos) throws InterruptedException {
    while (!pending.isEmpty()) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }
}
