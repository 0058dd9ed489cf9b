package io.eventflow.broker;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Ack ids name a delivery: the subscription's seek epoch and the message offset, and on an ordered
 * subscription the delivery attempt too. A seek starts a new epoch, so acks for deliveries made
 * before it are ignored, as Pub/Sub does. The attempt makes each redelivery of an ordered message a
 * new ack id, as Pub/Sub's are: the official subscriber drops a received message whose ack id it
 * still holds, and an ack sent for an earlier delivery must not complete a later one.
 */
final class AckIds {
  private AckIds() {}

  /** A decoded ack id; {@code delivery} is 0 when the id names none (unordered subscriptions). */
  record AckId(long epoch, long offset, int delivery) {}

  static String encode(long epoch, long offset) {
    return Long.toString(epoch, 36) + "-" + Long.toString(offset, 36);
  }

  /** An ack id naming delivery attempt {@code delivery} (1 or more) of the message. */
  static String encode(long epoch, long offset, int delivery) {
    return encode(epoch, offset) + "-" + Integer.toString(delivery, 36);
  }

  /** Returns the decoded id, or null if {@code ackId} is not one this broker issued. */
  static @Nullable AckId decode(String ackId) {
    int dash = ackId.indexOf('-');
    if (dash <= 0 || dash == ackId.length() - 1) {
      return null;
    }
    int second = ackId.indexOf('-', dash + 1);
    try {
      long epoch = Long.parseLong(ackId.substring(0, dash), 36);
      long offset =
          Long.parseLong(ackId.substring(dash + 1, second < 0 ? ackId.length() : second), 36);
      int delivery = second < 0 ? 0 : Integer.parseInt(ackId.substring(second + 1), 36);
      return epoch < 0 || offset < 0 || delivery < 0 ? null : new AckId(epoch, offset, delivery);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
