package io.eventflow.broker;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Ack ids name a delivery: the subscription's seek epoch and the message offset. A seek starts a
 * new epoch, so acks for deliveries made before it are ignored, as Pub/Sub does.
 */
final class AckIds {
  private AckIds() {}

  /** A decoded ack id. */
  record AckId(long epoch, long offset) {}

  static String encode(long epoch, long offset) {
    return Long.toString(epoch, 36) + "-" + Long.toString(offset, 36);
  }

  /** Returns the decoded id, or null if {@code ackId} is not one this broker issued. */
  static @Nullable AckId decode(String ackId) {
    int dash = ackId.indexOf('-');
    if (dash <= 0 || dash == ackId.length() - 1) {
      return null;
    }
    try {
      long epoch = Long.parseLong(ackId.substring(0, dash), 36);
      long offset = Long.parseLong(ackId.substring(dash + 1), 36);
      return epoch < 0 || offset < 0 ? null : new AckId(epoch, offset);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
