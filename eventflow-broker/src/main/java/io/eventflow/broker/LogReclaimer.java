package io.eventflow.broker;

import com.google.protobuf.util.Durations;
import com.google.pubsub.v1.Subscription;
import io.eventflow.broker.log.ReclaimObserver;
import io.eventflow.broker.log.SegmentInfo;
import io.eventflow.broker.log.SegmentedLog;
import java.io.IOException;
import java.time.Clock;
import java.util.BitSet;
import java.util.Collection;
import java.util.function.IntConsumer;
import java.util.function.LongPredicate;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives disk space back: deletes the sealed segments of a topic's log that nothing needs any more,
 * and compacts the ones that are mostly not needed (rewrites them without those records).
 *
 * <p>A record is <b>needed</b> while any of these holds:
 *
 * <ul>
 *   <li>the topic has a {@code message_retention_duration} and the record is within it;
 *   <li>an attached subscription has not acknowledged it and it is within that subscription's
 *       retention (past it, the subscription drops it unread anyway);
 *   <li>an attached subscription with {@code retain_acked_messages} has it within its retention;
 *   <li>an unexpired snapshot of the topic does not count it as acknowledged.
 * </ul>
 *
 * Retention is judged per segment by its newest record: a segment that straddles a retention
 * boundary counts as entirely within it. Acknowledgements are judged per record.
 *
 * <p><b>Policy.</b> Sealed segments only (the active one is never touched), every segment each
 * pass: one with no needed record is deleted; one whose unneeded records make up at least {@link
 * BrokerConfig#compactionMinReclaimRatio()} of its bytes (half, by default) is compacted. Each
 * compaction at least halves a segment (at the default ratio), so a segment is rewritten at most
 * about log2(its size / what stays needed) times in its life. Copying is throttled to {@link
 * BrokerConfig#compactionBytesPerSecond()}.
 */
final class LogReclaimer {
  private static final Logger logger = LoggerFactory.getLogger(LogReclaimer.class);

  private final Clock clock;
  private final BrokerMetrics metrics;
  private final double minReclaimRatio;
  private final IntConsumer throttle;
  private final ReclaimObserver observer;

  /**
   * A reclaimer that compacts segments whose unneeded bytes are at least {@code minReclaimRatio} of
   * their size, copying at the pace {@code throttle} allows (it is given each read's bytes and may
   * sleep), and tells {@code observer} each step.
   */
  LogReclaimer(
      Clock clock,
      BrokerMetrics metrics,
      double minReclaimRatio,
      IntConsumer throttle,
      ReclaimObserver observer) {
    this.clock = clock;
    this.metrics = metrics;
    this.minReclaimRatio = minReclaimRatio;
    this.throttle = throttle;
    this.observer = observer;
  }

  /**
   * One pass over {@code topic}'s sealed segments, oldest first, given the unexpired {@code
   * snapshots} of every topic.
   */
  void reclaim(TopicState topic, Collection<SnapshotState> snapshots) throws IOException {
    SegmentedLog log = topic.log();
    for (SegmentInfo segment : log.segments()) {
      if (segment.active()) {
        break;
      }
      BitSet needed = needed(topic, segment, snapshots, Micros.now(clock));
      if (needed == null) {
        continue;
      }
      long base = segment.baseOffset();
      LongPredicate keep = o -> needed.get((int) (o - base));
      SegmentedLog.Kept kept = log.kept(base, keep);
      if (kept == null) {
        continue; // Deleted or compacted meanwhile (by a call on another thread).
      }
      if (kept.records() == 0) {
        if (log.deleteSegment(base, observer)) {
          metrics.segmentDeleted(topic.name(), segment.bytes());
          logger.info(
              "deleted segment {} of {}: nothing needs its {} record(s) ({} bytes reclaimed)",
              base,
              topic.name(),
              segment.records(),
              segment.bytes());
        }
      } else if (segment.bytes() - kept.bytes() >= minReclaimRatio * segment.bytes()) {
        long started = System.nanoTime();
        SegmentedLog.Kept result = log.compact(base, keep, throttle, observer);
        if (result != null) {
          metrics.segmentCompacted(topic.name(), segment.bytes(), result.bytes());
          logger.info(
              "compacted segment {} of {}: kept {} of {} record(s), {} -> {} bytes, in {} ms",
              base,
              topic.name(),
              result.records(),
              segment.records(),
              segment.bytes(),
              result.bytes(),
              (System.nanoTime() - started) / 1_000_000);
        }
      }
    }
  }

  /**
   * The offsets of {@code segment} something still needs, as bits counted from its base offset, or
   * null when it needs all of them (or the range is too wide for a bit set, which only gaps of
   * billions of deleted offsets could make).
   */
  private static @Nullable BitSet needed(
      TopicState topic, SegmentInfo segment, Collection<SnapshotState> snapshots, long now) {
    long newest = segment.maxPublishTimeMicros();
    if (topic.config().hasMessageRetentionDuration()
        && newest >= now - Durations.toMicros(topic.config().getMessageRetentionDuration())) {
      return null;
    }
    long from = segment.baseOffset();
    long to = segment.endOffset();
    if (to - from > Integer.MAX_VALUE - 64) {
      return null;
    }
    BitSet needed = new BitSet();
    for (SubscriptionState sub : topic.subscriptions()) {
      Subscription c = sub.config();
      if (newest < now - Durations.toMicros(c.getMessageRetentionDuration())) {
        continue; // Past its retention: the subscription drops these unread.
      }
      if (c.getRetainAckedMessages()) {
        return null; // A seek back may replay any of them, acknowledged or not.
      }
      sub.addUnacknowledged(from, to, needed);
    }
    for (SnapshotState snapshot : snapshots) {
      if (snapshot.config().getTopic().equals(topic.name())) {
        snapshot.addUnacknowledged(from, to, needed);
      }
    }
    return needed;
  }
}
