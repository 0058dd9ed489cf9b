package io.eventflow.broker;

import com.google.protobuf.util.Timestamps;
import com.google.pubsub.v1.Snapshot;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A Pub/Sub snapshot: its resource (name, topic, expiry, labels) and the acknowledgement state of
 * the subscription it was taken from. Offsets below {@code cursor} and those in {@code ackedAbove}
 * were acknowledged; every other offset of the topic, including those published later, was not, and
 * the topic's log keeps them until the snapshot expires.
 *
 * @param config the resource as the API returns it
 * @param cursor every offset below this was acknowledged
 * @param ackedAbove acknowledged offsets at or above the cursor, ascending
 */
record SnapshotState(Snapshot config, long cursor, long[] ackedAbove) {

  /** Whether the snapshot's expiry time is at or before {@code nowMicros}. */
  boolean expiredAt(long nowMicros) {
    return Timestamps.toMicros(config.getExpireTime()) <= nowMicros;
  }

  /**
   * Sets bit {@code o - from} of {@code out} for every offset {@code o} in {@code [from, to)} the
   * snapshot does not count as acknowledged: what a seek to it would deliver again.
   */
  void addUnacknowledged(long from, long to, BitSet out) {
    long start = Math.max(from, cursor);
    if (start >= to) {
      return;
    }
    out.set((int) (start - from), (int) (to - from));
    int i = Arrays.binarySearch(ackedAbove, start);
    for (i = i < 0 ? -i - 1 : i; i < ackedAbove.length && ackedAbove[i] < to; i++) {
      out.clear((int) (ackedAbove[i] - from));
    }
  }

  /** The same snapshot with its topic replaced (the topic was deleted). */
  SnapshotState withTopic(String topic) {
    return new SnapshotState(config.toBuilder().setTopic(topic).build(), cursor, ackedAbove);
  }
}
