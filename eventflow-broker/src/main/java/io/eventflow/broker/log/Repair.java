package io.eventflow.broker.log;

import java.nio.file.Path;

/**
 * One thing recovery changed on disk when a log or journal was opened: what was cut, where and how
 * much. The broker logs each at start, counts them and keeps them in its recovery report, so a
 * repair is never silent.
 *
 * @param kind what was repaired
 * @param file the file that was changed
 * @param bytesDropped how many bytes were cut off (0 when nothing was removed)
 * @param detail one sentence for an operator: the position and what the cut bytes held
 */
public record Repair(Kind kind, Path file, long bytesDropped, String detail) {

  /** The kinds of repair recovery performs. */
  public enum Kind {
    /** The tail of a topic's active segment did not check out (a write cut short) and was cut. */
    LOG_TAIL_TRUNCATED,
    /**
     * A subscription's ack journal ended in a partial record (an ack that was never answered) and
     * it was cut.
     */
    JOURNAL_TORN_RECORD_DROPPED,
    /**
     * A subscription's ack journal held a corrupt record followed by more bytes: everything from
     * the corrupt record on was cut, so acks it held are delivered again (at least once still
     * holds; exactly which messages repeat is in the detail).
     */
    JOURNAL_CORRUPT_RECORDS_DROPPED,
    /** A snapshot of a subscription's ack state did not check out and an older one was used. */
    SNAPSHOT_UNREADABLE,
    /** A topic or subscription directory without its metadata (a create or delete cut short). */
    INTERRUPTED_CREATE_OR_DELETE_REMOVED,
    /**
     * The temporary copy of a segment being compacted when the broker stopped was removed; the
     * segment had not been replaced yet, so nothing was lost.
     */
    COMPACTION_INTERRUPTED_REMOVED,
  }

  @Override
  public String toString() {
    return kind + " " + file + " (" + bytesDropped + " bytes dropped): " + detail;
  }
}
