package io.eventflow.broker.log;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;
import java.util.zip.CRC32C;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only log of records split into segments, with group commit.
 *
 * <p>Appenders encode their records into a shared pending batch under a short lock; one committer
 * at a time writes the whole batch with a single write (and, with {@link FsyncPolicy#ALWAYS}, a
 * single fsync), then completes every appender's future. While a batch is being written the next
 * one fills up, so concurrent publishers share the cost of each write and fsync.
 *
 * <p>Each record is {@code [length][crc32c][offset][publish time][payload]}; the CRC covers all but
 * the first two fields. On open, segments are scanned; a torn or corrupt tail of the last segment
 * (a write cut short by a crash, never an acknowledged append) is truncated and reported in {@link
 * #repairs()}.
 *
 * <p>The pending batch is bounded ({@link LogConfig#maxPendingBytes()}): while it holds that many
 * bytes, appends fail with {@link LogFullException} instead of growing the heap without limit when
 * the disk is slower than the appenders.
 *
 * <p>Sealed segments can be deleted ({@link #deleteSegment}) or compacted ({@link #compact}): a
 * compacted segment keeps the records it kept under their own offsets, so offsets (message ids, ack
 * ids, subscription cursors) never change; reads skip the offsets that were removed. Compaction
 * writes the kept records to {@code <base>.log.compacting}, forces it, and renames it over {@code
 * <base>.log}: the rename is the one step that changes the segment, so a crash before it leaves the
 * original (and a temporary file that the next open removes and reports), and a crash after it
 * leaves the compacted copy, complete.
 */
public final class SegmentedLog implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(SegmentedLog.class);
  private static final String SUFFIX = ".log";
  private static final String COMPACTING_SUFFIX = ".compacting";

  /** Compaction copies kept records in reads of at most 1 MiB (and at least one record). */
  private static final int COPY_CHUNK_BYTES = 1 << 20;

  @Nullable private final Path directory;
  private final LogConfig config;
  private final Clock clock;
  private final Executor committer;

  private final Object lock = new Object();

  /**
   * Held while a segment is deleted or compacted, and by {@link #close()} once no more commits run:
   * one change to the set of segment files at a time, and none after close.
   */
  private final Object maintenance = new Object();

  private final List<Segment> segments = new ArrayList<>();
  private long nextOffset;
  private volatile long committedEnd;
  private long lastPublishTime;
  private Batch pending = new Batch();
  private boolean committing;
  private boolean closed;
  @Nullable private IOException failure;
  private volatile LongConsumer appendListener = end -> {};
  private final List<Repair> repairs = new ArrayList<>();

  private SegmentedLog(
      @Nullable Path directory, LogConfig config, Clock clock, Executor committer) {
    this.directory = directory;
    this.config = config;
    this.clock = clock;
    this.committer = committer;
  }

  /**
   * Opens (recovering) the log stored in {@code directory}, or an empty in-memory log when it is
   * null. Commits run on {@code committer}.
   */
  public static SegmentedLog open(
      @Nullable Path directory, LogConfig config, Clock clock, Executor committer)
      throws IOException {
    SegmentedLog log = new SegmentedLog(directory, config, clock, committer);
    log.recover();
    return log;
  }

  /** What recovery cut when this log was opened; empty when the files were intact. */
  public List<Repair> repairs() {
    return List.copyOf(repairs);
  }

  /** Bytes encoded and waiting for the disk right now (the pending batch). */
  public long pendingBytes() {
    synchronized (lock) {
      return pending.size;
    }
  }

  /** Calls {@code listener} with the new committed end offset after every commit. */
  public void setAppendListener(LongConsumer listener) {
    this.appendListener = listener;
  }

  /**
   * Appends {@code count} records, each encoded by {@code encoder} once its offset and publish time
   * are assigned. The future completes with the first offset once the batch is written (and forced,
   * under {@link FsyncPolicy#ALWAYS}), or fails if the write failed. It fails at once with {@link
   * LogFullException}, nothing appended, while the pending batch is full.
   */
  public CompletableFuture<Long> append(int count, RecordEncoder encoder) {
    if (count <= 0) {
      throw new IllegalArgumentException("an append needs at least one record");
    }
    CompletableFuture<Long> future = new CompletableFuture<>();
    boolean startCommitter = false;
    synchronized (lock) {
      if (closed) {
        future.completeExceptionally(new IOException("log is closed"));
        return future;
      }
      if (failure != null) {
        future.completeExceptionally(failure);
        return future;
      }
      // The batch being written is not counted: only what piles up behind it. One append may take
      // the batch past the bound (by at most one 10 MB publish); the next one is refused.
      if (pending.size >= config.maxPendingBytes()) {
        future.completeExceptionally(
            new LogFullException(
                "the log's disk is behind: "
                    + pending.size
                    + " bytes are waiting to be written (bound "
                    + config.maxPendingBytes()
                    + "); retry with backoff"));
        return future;
      }
      long first = nextOffset;
      long time = Math.max(lastPublishTime, toMicros(clock.instant()));
      lastPublishTime = time;
      for (int i = 0; i < count; i++) {
        pending.add(first + i, time, encoder.encode(i, first + i, time));
      }
      nextOffset = first + count;
      pending.futures.add(future);
      pending.firstOffsets.add(first);
      if (!committing) {
        committing = true;
        startCommitter = true;
      }
    }
    if (startCommitter) {
      committer.execute(this::commitLoop);
    }
    return future;
  }

  private void commitLoop() {
    while (true) {
      Batch batch;
      Segment target;
      synchronized (lock) {
        if (pending.isEmpty()) {
          committing = false;
          lock.notifyAll();
          return;
        }
        batch = pending;
        pending = new Batch();
        target = segments.get(segments.size() - 1);
      }
      try {
        target = rollIfFull(target, batch);
        long base = target.storage.size();
        target.storage.append(batch.buffer());
        if (config.fsync() == FsyncPolicy.ALWAYS) {
          target.storage.force();
        }
        synchronized (lock) {
          for (int i = 0; i < batch.count; i++) {
            target.index(base + batch.positions[i], batch.times[i]);
          }
          target.setCommittedBytes(target.storage.size());
          committedEnd = batch.lastOffset + 1;
        }
      } catch (IOException | RuntimeException e) {
        IOException cause = e instanceof IOException io ? io : new IOException(e);
        synchronized (lock) {
          failure = cause;
        }
        logger.error("append to {} failed; the log refuses further appends", directory, e);
        for (CompletableFuture<Long> f : batch.futures) {
          f.completeExceptionally(cause);
        }
        continue;
      }
      for (int i = 0; i < batch.futures.size(); i++) {
        batch.futures.get(i).complete(batch.firstOffsets.get(i));
      }
      appendListener.accept(committedEnd);
    }
  }

  /** Starts a new segment when the batch would push the active one past the configured size. */
  private Segment rollIfFull(Segment active, Batch batch) throws IOException {
    if (active.count() == 0 || active.storage.size() + batch.size <= config.segmentBytes()) {
      return active;
    }
    if (config.fsync() != FsyncPolicy.NEVER) {
      active.storage.force();
    }
    Segment next = newSegment(batch.firstOffset);
    synchronized (lock) {
      segments.add(next);
    }
    return next;
  }

  /**
   * Reads up to {@code maxRecords} committed records (at least one, at most about {@code maxBytes}
   * of them) starting at the first one stored at or after {@code from}: offsets deleted or
   * compacted away are skipped. Returns an empty list at the end of the log.
   */
  public List<LogRecord> read(long from, int maxRecords, int maxBytes) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Segment segment;
      long startPos;
      long endPos;
      long[] offsets;
      synchronized (lock) {
        long offset = Math.max(from, startOffsetLocked());
        if (offset >= committedEnd || segments.isEmpty() || maxRecords <= 0) {
          return List.of();
        }
        int s = segmentIndexFor(offset);
        int index = segments.get(s).indexOf(offset);
        while (index == segments.get(s).count()) {
          // Nothing stored at or after the offset in this segment: the rest of its range was
          // compacted away. The next segment starts past it.
          if (++s == segments.size()) {
            return List.of();
          }
          index = 0;
        }
        segment = segments.get(s);
        int n = (int) Math.min(maxRecords, segment.count() - index);
        startPos = segment.position(index);
        int fit = 1;
        while (fit < n && segment.position(index + fit + 1) - startPos <= maxBytes) {
          fit++;
        }
        endPos = segment.position(index + fit);
        offsets = new long[fit];
        for (int i = 0; i < fit; i++) {
          offsets[i] = segment.offsetAt(index + i);
        }
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) (endPos - startPos));
      try {
        segment.storage.read(startPos, buffer);
      } catch (ClosedChannelException e) {
        // Deleted or compacted under us; the next attempt finds what replaced it.
        if (attempt < 3) {
          continue;
        }
        throw e;
      }
      buffer.flip();
      List<LogRecord> records = new ArrayList<>(offsets.length);
      for (long offset : offsets) {
        records.add(decode(buffer, offset));
      }
      return records;
    }
  }

  private static LogRecord decode(ByteBuffer buffer, long expectedOffset) throws IOException {
    int at = buffer.position();
    long time = check(buffer, at, expectedOffset);
    int length = buffer.getInt(at);
    byte[] payload = new byte[length];
    buffer.get(at + Segment.HEADER_BYTES, payload);
    buffer.position(at + Segment.HEADER_BYTES + length);
    return new LogRecord(expectedOffset, time, payload);
  }

  /**
   * Checks the CRC and offset of the record at {@code at} of {@code buffer} (an array-backed buffer
   * from position 0) and returns its publish time.
   */
  private static long check(ByteBuffer buffer, int at, long expectedOffset) throws IOException {
    int length = buffer.getInt(at);
    int crc = buffer.getInt(at + 4);
    long offset = buffer.getLong(at + 8);
    boolean fits = length >= 0 && at + Segment.HEADER_BYTES + (long) length <= buffer.limit();
    CRC32C checksum = new CRC32C();
    if (fits) {
      checksum.update(buffer.array(), buffer.arrayOffset() + at + 8, 16 + length);
    }
    if (!fits || (int) checksum.getValue() != crc || offset != expectedOffset) {
      throw new IOException("corrupt record at offset " + expectedOffset);
    }
    return buffer.getLong(at + 16);
  }

  /** The first offset still stored (older segments were deleted by retention). */
  public long startOffset() {
    synchronized (lock) {
      return startOffsetLocked();
    }
  }

  private long startOffsetLocked() {
    return segments.isEmpty() ? committedEnd : segments.get(0).baseOffset;
  }

  /** One past the last committed offset: the offset the next committed record will have. */
  public long endOffset() {
    return committedEnd;
  }

  /**
   * Returns the first stored offset whose publish time is at or after {@code timeMicros}, or the
   * end offset if there is none. Publish times never decrease within a log, so this picks the
   * segment by its time range and binary-searches record headers inside it.
   */
  public long offsetForTime(long timeMicros) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        return offsetForTimeOnce(timeMicros);
      } catch (ClosedChannelException e) {
        // The segment was deleted or compacted while its headers were read: search again.
        if (attempt >= 3) {
          throw e;
        }
      }
    }
  }

  private long offsetForTimeOnce(long timeMicros) throws IOException {
    Segment segment = null;
    int count;
    synchronized (lock) {
      for (Segment s : segments) {
        if (s.count() > 0 && s.maxTime() >= timeMicros) {
          segment = s;
          break;
        }
      }
      if (segment == null) {
        return committedEnd;
      }
      if (segment.minTime() >= timeMicros) {
        return segment.offsetAt(0);
      }
      count = segment.count();
    }
    int low = 0;
    int high = count - 1;
    ByteBuffer header = ByteBuffer.allocate(Segment.HEADER_BYTES);
    while (low < high) {
      int mid = (low + high) >>> 1;
      long position;
      synchronized (lock) {
        position = segment.position(mid);
      }
      header.clear();
      segment.storage.read(position, header);
      if (header.getLong(16) >= timeMicros) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    synchronized (lock) {
      return segment.offsetAt(low);
    }
  }

  /**
   * The bytes of the payloads (stored messages, without record headers) of the committed records in
   * {@code [from, to)} that are still stored. Read from the in-memory index: no disk access.
   */
  public long payloadBytes(long from, long to) {
    long sum = 0;
    synchronized (lock) {
      for (Segment s : segments) {
        long start = Math.max(from, s.baseOffset);
        long end = Math.min(to, Math.min(s.endOffset(), committedEnd));
        if (start < end) {
          int first = s.indexOf(start);
          int last = s.indexOf(end);
          sum +=
              s.position(last) - s.position(first) - (long) Segment.HEADER_BYTES * (last - first);
        }
      }
    }
    return sum;
  }

  /**
   * The publish time of the record at {@code offset} (its header only is read), or -1 if that
   * record is not stored (deleted, or not yet committed).
   */
  public long publishTimeMicros(long offset) throws IOException {
    Segment segment;
    long position;
    synchronized (lock) {
      if (offset < startOffsetLocked() || offset >= committedEnd || segments.isEmpty()) {
        return -1;
      }
      segment = segments.get(segmentIndexFor(offset));
      int index = segment.indexOf(offset);
      if (index == segment.count() || segment.offsetAt(index) != offset) {
        return -1; // Compacted away.
      }
      position = segment.position(index);
    }
    ByteBuffer header = ByteBuffer.allocate(Segment.HEADER_BYTES);
    try {
      segment.storage.read(position, header);
    } catch (ClosedChannelException e) {
      return -1; // Deleted or compacted meanwhile.
    }
    return header.getLong(16);
  }

  /** The segments' offset and time ranges, oldest first; the last one is the active segment. */
  public List<SegmentInfo> segments() {
    synchronized (lock) {
      List<SegmentInfo> infos = new ArrayList<>(segments.size());
      for (int i = 0; i < segments.size(); i++) {
        Segment s = segments.get(i);
        infos.add(
            new SegmentInfo(
                s.baseOffset,
                s.endOffset(),
                s.minTime(),
                s.maxTime(),
                s.committedBytes(),
                s.count(),
                i == segments.size() - 1));
      }
      return infos;
    }
  }

  /**
   * Deletes the oldest sealed segments that end at or before {@code offset}. The active segment is
   * never deleted. Returns how many were deleted.
   */
  public int deleteSegmentsBefore(long offset) throws IOException {
    int deleted = 0;
    while (true) {
      long base;
      synchronized (lock) {
        if (segments.size() <= 1 || segments.get(0).endOffset() > offset) {
          return deleted;
        }
        base = segments.get(0).baseOffset;
      }
      if (!deleteSegment(base, ReclaimObserver.NONE)) {
        return deleted;
      }
      deleted++;
    }
  }

  /**
   * Deletes the sealed segment that starts at {@code baseOffset}, wherever it is in the log: reads
   * skip its offsets from now on. It leaves the log in memory before its file is deleted, so a
   * crash in between leaves a segment nobody needed, which the next pass deletes again. Returns
   * false, deleting nothing, when there is no such sealed segment or the log is closed.
   */
  public boolean deleteSegment(long baseOffset, ReclaimObserver observer) throws IOException {
    synchronized (maintenance) {
      Segment doomed;
      synchronized (lock) {
        int i = sealedIndexOf(baseOffset);
        if (i < 0) {
          return false;
        }
        doomed = segments.remove(i);
        if (i > 0) {
          segments.get(i - 1).coverUntil(doomed.endOffset());
        }
      }
      observer.reached(ReclaimObserver.Step.DELETING);
      doomed.storage.delete();
      observer.reached(ReclaimObserver.Step.DELETED);
      return true;
    }
  }

  /**
   * What compacting the sealed segment at {@code baseOffset} with {@code keep} would keep, from the
   * in-memory index alone (no disk read); null when there is no such sealed segment.
   */
  public @Nullable Kept kept(long baseOffset, LongPredicate keep) {
    synchronized (lock) {
      int i = sealedIndexOf(baseOffset);
      if (i < 0) {
        return null;
      }
      Segment segment = segments.get(i);
      int records = 0;
      long bytes = 0;
      for (int r = 0; r < segment.count(); r++) {
        if (keep.test(segment.offsetAt(r))) {
          records++;
          bytes += segment.position(r + 1) - segment.position(r);
        }
      }
      return new Kept(records, bytes);
    }
  }

  /**
   * Rewrites the sealed segment at {@code baseOffset} with only the records {@code keep} accepts,
   * each under its own offset, and returns what it kept; a segment left with no record is deleted
   * instead ({@link #deleteSegment}). The kept records are copied (CRC-checked) to a temporary
   * file, which is forced and then renamed over the segment's file; readers switch to the copy
   * after that. {@code throttle} is given the bytes of each read before it is made and may sleep,
   * to bound the disk and CPU this takes from publishers. Returns null, leaving the segment as it
   * was and no temporary file, when there is no such sealed segment or the log closes meanwhile.
   */
  public @Nullable Kept compact(
      long baseOffset, LongPredicate keep, IntConsumer throttle, ReclaimObserver observer)
      throws IOException {
    synchronized (maintenance) {
      Segment original;
      long[] offsets;
      long[] positions;
      synchronized (lock) {
        int i = sealedIndexOf(baseOffset);
        if (i < 0) {
          return null;
        }
        original = segments.get(i);
        int count = original.count();
        offsets = new long[count];
        positions = new long[count + 1];
        for (int r = 0; r <= count; r++) {
          positions[r] = original.position(r);
          if (r < count) {
            offsets[r] = original.offsetAt(r);
          }
        }
      }
      if (java.util.Arrays.stream(offsets).noneMatch(keep)) {
        return deleteSegment(baseOffset, observer) ? new Kept(0, 0) : null;
      }
      Segment copy = new Segment(baseOffset, compactionStorage(baseOffset));
      boolean renamed = false;
      try {
        long written = 0;
        int r = 0;
        while (r < offsets.length) {
          if (!keep.test(offsets[r])) {
            r++;
            continue;
          }
          // A run of kept records is copied with one read and one write, up to the chunk size.
          int end = r + 1;
          while (end < offsets.length
              && keep.test(offsets[end])
              && positions[end + 1] - positions[r] <= COPY_CHUNK_BYTES) {
            end++;
          }
          ByteBuffer run = ByteBuffer.allocate((int) (positions[end] - positions[r]));
          throttle.accept(run.capacity());
          if (isClosed()) {
            return null;
          }
          original.storage.read(positions[r], run);
          for (int k = r; k < end; k++) {
            int at = (int) (positions[k] - positions[r]);
            copy.index(written + at, offsets[k], check(run, at, offsets[k]));
          }
          run.flip();
          copy.storage.append(run);
          if (written == 0) {
            observer.reached(ReclaimObserver.Step.COPY_STARTED);
          }
          written += positions[end] - positions[r];
          r = end;
        }
        copy.setCommittedBytes(written);
        copy.storage.force();
        observer.reached(ReclaimObserver.Step.COPY_FORCED);
        // A close() from here on waits for the swap below (it takes the maintenance lock), then
        // closes the copy with the other segments.
        if (isClosed()) {
          return null;
        }
        if (copy.storage instanceof FileSegmentStorage file) {
          file.moveTo(segmentPath(baseOffset));
        }
        renamed = true;
        observer.reached(ReclaimObserver.Step.COPY_RENAMED);
        synchronized (lock) {
          copy.coverUntil(original.endOffset());
          segments.set(segments.indexOf(original), copy);
        }
      } finally {
        if (!renamed) {
          copy.storage.delete();
        }
      }
      // Reads still running on the original fail with ClosedChannelException and are retried.
      original.storage.close();
      observer.reached(ReclaimObserver.Step.SWAPPED);
      return new Kept(copy.count(), copy.committedBytes());
    }
  }

  /**
   * What a compaction keeps (or would keep) of a segment.
   *
   * @param records the records kept
   * @param bytes their bytes, headers included: the segment's size after compaction
   */
  public record Kept(int records, long bytes) {}

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /** The index of the sealed segment starting at {@code baseOffset}, or -1. Holds the lock. */
  private int sealedIndexOf(long baseOffset) {
    if (closed) {
      return -1;
    }
    for (int i = 0; i < segments.size() - 1; i++) {
      if (segments.get(i).baseOffset == baseOffset) {
        return i;
      }
    }
    return -1;
  }

  private SegmentStorage compactionStorage(long baseOffset) throws IOException {
    if (directory == null) {
      return new MemorySegmentStorage();
    }
    Path temporary = directory.resolve(segmentName(baseOffset) + COMPACTING_SUFFIX);
    Files.deleteIfExists(temporary);
    return new FileSegmentStorage(temporary);
  }

  /**
   * Forces everything written so far to disk (the {@link FsyncPolicy#INTERVAL} timer calls this).
   */
  public void sync() throws IOException {
    Segment active;
    synchronized (lock) {
      if (closed || segments.isEmpty()) {
        return;
      }
      active = segments.get(segments.size() - 1);
    }
    try {
      active.storage.force();
    } catch (ClosedChannelException e) {
      // Closed or rolled concurrently: rolling already forced it.
    }
  }

  /** Waits for in-flight commits, then releases the segment files (keeping them on disk). */
  @Override
  public void close() throws IOException {
    synchronized (lock) {
      closed = true;
      while (committing) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    synchronized (maintenance) {
      // A deletion or compaction under way has finished, or stopped at its next step.
    }
    if (config.fsync() != FsyncPolicy.NEVER) {
      sync();
    }
    synchronized (lock) {
      for (Segment s : segments) {
        s.storage.close();
      }
    }
  }

  /** Closes the log and deletes all its segments and its directory. */
  public void delete() throws IOException {
    close();
    synchronized (lock) {
      for (Segment s : segments) {
        s.storage.delete();
      }
      segments.clear();
    }
    if (directory != null) {
      Files.deleteIfExists(directory);
    }
  }

  private Segment newSegment(long baseOffset) throws IOException {
    if (directory == null) {
      return new Segment(baseOffset, new MemorySegmentStorage());
    }
    return new Segment(baseOffset, new FileSegmentStorage(segmentPath(baseOffset)));
  }

  private Path segmentPath(long baseOffset) {
    return directory.resolve(segmentName(baseOffset));
  }

  private static String segmentName(long baseOffset) {
    return String.format(Locale.ROOT, "%020d%s", baseOffset, SUFFIX);
  }

  private int segmentIndexFor(long offset) {
    int low = 0;
    int high = segments.size() - 1;
    while (low < high) {
      int mid = (low + high + 1) >>> 1;
      if (segments.get(mid).baseOffset <= offset) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    return low;
  }

  private void recover() throws IOException {
    if (directory == null) {
      segments.add(newSegment(0));
      return;
    }
    Files.createDirectories(directory);
    removeInterruptedCompactions();
    List<Long> bases = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        bases.add(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())));
      }
    }
    bases.sort(null);
    if (bases.isEmpty()) {
      segments.add(newSegment(0));
      return;
    }
    for (int i = 0; i < bases.size(); i++) {
      boolean last = i == bases.size() - 1;
      long base = bases.get(i);
      if (!segments.isEmpty()) {
        Segment previous = segments.get(segments.size() - 1);
        if (previous.endOffset() > base) {
          throw new IOException(
              "segment " + base + " in " + directory + " overlaps the previous segment");
        }
        // Offsets between the two were compacted away, or their segment deleted.
        previous.coverUntil(base);
      }
      Segment segment = newSegment(base);
      // Only the active (last) segment is appended to; it is never compacted, so it is dense.
      long valid = scan(segment, last);
      if (valid < segment.storage.size()) {
        if (!last) {
          throw new IOException(
              "corrupt record in sealed segment "
                  + base
                  + " of "
                  + directory
                  + " at byte "
                  + valid);
        }
        long size = segment.storage.size();
        logger.warn(
            "truncating torn tail of {} segment {} from {} to {} bytes",
            directory,
            base,
            size,
            valid);
        repairs.add(
            new Repair(
                Repair.Kind.LOG_TAIL_TRUNCATED,
                segmentPath(base),
                size - valid,
                "the last segment's records after byte "
                    + valid
                    + " (offset "
                    + segment.endOffset()
                    + " on) did not check out: a write cut short by a crash, never acknowledged"));
        segment.storage.truncate(valid);
      }
      segment.setCommittedBytes(valid);
      segments.add(segment);
    }
    Segment active = segments.get(segments.size() - 1);
    nextOffset = active.endOffset();
    committedEnd = nextOffset;
    for (Segment s : segments) {
      if (s.count() > 0) {
        lastPublishTime = Math.max(lastPublishTime, s.maxTime());
      }
    }
  }

  /**
   * Removes the temporary files of compactions a crash cut short. The rename that would have
   * replaced the segment did not happen, so the segment file is the original, intact.
   */
  private void removeInterruptedCompactions() throws IOException {
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(directory, "*" + SUFFIX + COMPACTING_SUFFIX)) {
      for (Path file : files) {
        long size = Files.size(file);
        logger.warn("removing {}: a compaction cut short; its segment is intact", file);
        repairs.add(
            new Repair(
                Repair.Kind.COMPACTION_INTERRUPTED_REMOVED,
                file,
                size,
                "the temporary copy of a segment being compacted when the broker stopped; the"
                    + " segment itself was not yet replaced and is intact, nothing was lost"));
        Files.delete(file);
      }
    }
  }

  /**
   * Indexes every valid record of {@code segment}; returns the byte length of the valid prefix.
   * Offsets must increase; in a {@code dense} segment each must be one past the previous.
   */
  private long scan(Segment segment, boolean dense) throws IOException {
    Path path = segmentPath(segment.baseOffset);
    long position = 0;
    byte[] body = new byte[64 * 1024];
    CRC32C checksum = new CRC32C();
    try (InputStream file = Files.newInputStream(path);
        DataInputStream in = new DataInputStream(new BufferedInputStream(file, 1 << 20))) {
      while (true) {
        int length;
        int crc;
        try {
          length = in.readInt();
          crc = in.readInt();
        } catch (EOFException e) {
          return position;
        }
        long remaining = segment.storage.size() - position - 8;
        if (length < 0 || length + 16L > remaining) {
          return position;
        }
        int bodyLength = 16 + length;
        if (body.length < bodyLength) {
          body = new byte[Math.max(bodyLength, body.length * 2)];
        }
        in.readFully(body, 0, bodyLength);
        checksum.reset();
        checksum.update(body, 0, bodyLength);
        ByteBuffer fields = ByteBuffer.wrap(body, 0, 16);
        long offset = fields.getLong();
        long time = fields.getLong();
        long expected = segment.endOffset();
        if ((int) checksum.getValue() != crc
            || offset < expected
            || (dense && offset != expected)) {
          return position;
        }
        segment.index(position, offset, time);
        position += 8 + bodyLength;
      }
    }
  }

  static long toMicros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }

  /** Records encoded but not yet written, in the on-disk format. */
  private static final class Batch {
    private byte[] bytes = new byte[16 * 1024];
    int size;
    int count;
    int[] positions = new int[64];
    long[] times = new long[64];
    long firstOffset = -1;
    long lastOffset = -1;
    final List<CompletableFuture<Long>> futures = new ArrayList<>();
    final List<Long> firstOffsets = new ArrayList<>();
    private final CRC32C checksum = new CRC32C();

    boolean isEmpty() {
      return count == 0 && futures.isEmpty();
    }

    void add(long offset, long time, byte[] payload) {
      int recordBytes = Segment.HEADER_BYTES + payload.length;
      if (size + recordBytes > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(size + recordBytes, bytes.length * 2));
      }
      if (count == positions.length) {
        positions = Arrays.copyOf(positions, count * 2);
        times = Arrays.copyOf(times, count * 2);
      }
      positions[count] = size;
      times[count] = time;
      count++;
      if (firstOffset < 0) {
        firstOffset = offset;
      }
      lastOffset = offset;
      ByteBuffer out = ByteBuffer.wrap(bytes, size, recordBytes);
      out.putInt(payload.length);
      out.putInt(0);
      out.putLong(offset);
      out.putLong(time);
      out.put(payload);
      checksum.reset();
      checksum.update(bytes, size + 8, 16 + payload.length);
      ByteBuffer.wrap(bytes).putInt(size + 4, (int) checksum.getValue());
      size += recordBytes;
    }

    ByteBuffer buffer() {
      return ByteBuffer.wrap(bytes, 0, size);
    }
  }
}
