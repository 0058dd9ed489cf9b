package io.eventflow.broker;

/**
 * One subscription's backlog, as the broker's {@code /metrics} and {@code eventflow broker status}
 * report it, with the meanings of Cloud Monitoring's {@code pubsub.googleapis.com/subscription/*}
 * metrics.
 *
 * @param unacknowledged messages published since the subscription's position and not acknowledged,
 *     delivered or not ({@code num_undelivered_messages}, which Cloud Monitoring defines as the
 *     unacknowledged messages, "a.k.a. backlog messages")
 * @param bytes the stored size of those messages ({@code backlog_bytes})
 * @param oldestPublishTimeMicros publish time of the oldest of them, -1 when there is none (its age
 *     is {@code oldest_unacked_message_age})
 * @param leased delivered and not yet acknowledged, nacked or expired ({@code
 *     num_outstanding_messages}, which Pub/Sub reports for push; here for pull)
 * @param byDeliveryAttempts how many unacknowledged messages were delivered 0, 1, 2, 3 times and 4
 *     or more times (index 4), counted since the broker started
 */
record Backlog(
    long unacknowledged,
    long bytes,
    long oldestPublishTimeMicros,
    long leased,
    long[] byDeliveryAttempts) {

  /** Buckets of {@link #byDeliveryAttempts}: 0, 1, 2, 3 and 4 or more deliveries. */
  static final int ATTEMPT_BUCKETS = 5;

  /** The label of bucket {@code i} of {@link #byDeliveryAttempts}. */
  static String attemptsLabel(int i) {
    return i == ATTEMPT_BUCKETS - 1 ? i + "+" : Integer.toString(i);
  }

  /** Seconds since the oldest unacknowledged message was published; 0 when there is none. */
  double oldestAgeSeconds(long nowMicros) {
    return oldestPublishTimeMicros < 0 ? 0 : Math.max(0, nowMicros - oldestPublishTimeMicros) / 1e6;
  }
}
