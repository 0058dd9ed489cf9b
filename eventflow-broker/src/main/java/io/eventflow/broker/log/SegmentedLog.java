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
import java.util.function.LongConsumer;
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
 */
public final class SegmentedLog implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(SegmentedLog.class);
  private static final String SUFFIX = ".log";

  @Nullable private final Path directory;
  private final LogConfig config;
  private final Clock clock;
  private final Executor committer;

  private final Object lock = new Object();
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
   * of them) starting at {@code from}, or from the log start if that was deleted. Returns an empty
   * list at the end of the log.
   */
  public List<LogRecord> read(long from, int maxRecords, int maxBytes) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Segment segment;
      long startPos;
      long endPos;
      long firstOffset;
      int n;
      synchronized (lock) {
        long start = startOffsetLocked();
        long offset = Math.max(from, start);
        if (offset >= committedEnd || segments.isEmpty()) {
          return List.of();
        }
        segment = segments.get(segmentIndexFor(offset));
        int index = (int) (offset - segment.baseOffset);
        n = (int) Math.min(maxRecords, segment.count() - index);
        if (n <= 0) {
          return List.of();
        }
        startPos = segment.position(index);
        int fit = 1;
        while (fit < n && segment.position(index + fit + 1) - startPos <= maxBytes) {
          fit++;
        }
        n = fit;
        endPos = segment.position(index + n);
        firstOffset = offset;
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) (endPos - startPos));
      try {
        segment.storage.read(startPos, buffer);
      } catch (ClosedChannelException e) {
        // Retention deleted the segment under us; the next attempt starts at the new log start.
        if (attempt < 3) {
          continue;
        }
        throw e;
      }
      buffer.flip();
      List<LogRecord> records = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        records.add(decode(buffer, firstOffset + i));
      }
      return records;
    }
  }

  private static LogRecord decode(ByteBuffer buffer, long expectedOffset) throws IOException {
    int length = buffer.getInt();
    int crc = buffer.getInt();
    int crcStart = buffer.position();
    long offset = buffer.getLong();
    long time = buffer.getLong();
    byte[] payload = new byte[length];
    buffer.get(payload);
    CRC32C checksum = new CRC32C();
    checksum.update(buffer.array(), crcStart, 16 + length);
    if ((int) checksum.getValue() != crc || offset != expectedOffset) {
      throw new IOException("corrupt record at offset " + expectedOffset);
    }
    return new LogRecord(offset, time, payload);
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
        return segment.baseOffset;
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
    return segment.baseOffset + low;
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
          int first = (int) (start - s.baseOffset);
          int last = (int) (end - s.baseOffset);
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
      position = segment.position((int) (offset - segment.baseOffset));
    }
    ByteBuffer header = ByteBuffer.allocate(Segment.HEADER_BYTES);
    try {
      segment.storage.read(position, header);
    } catch (ClosedChannelException e) {
      return -1; // Deleted by retention meanwhile.
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
    List<Segment> doomed = new ArrayList<>();
    synchronized (lock) {
      while (segments.size() > 1 && segments.get(0).endOffset() <= offset) {
        doomed.add(segments.remove(0));
      }
    }
    for (Segment s : doomed) {
      s.storage.delete();
    }
    return doomed.size();
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
    Path path = directory.resolve(String.format(Locale.ROOT, "%020d%s", baseOffset, SUFFIX));
    return new Segment(baseOffset, new FileSegmentStorage(path));
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
      if (!segments.isEmpty() && segments.get(segments.size() - 1).endOffset() != base) {
        throw new IOException(
            "segment " + base + " in " + directory + " does not follow the previous segment");
      }
      Segment segment = newSegment(base);
      long valid = scan(segment);
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
                directory.resolve(String.format(Locale.ROOT, "%020d%s", base, SUFFIX)),
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

  /** Indexes every valid record of {@code segment}; returns the byte length of the valid prefix. */
  private long scan(Segment segment) throws IOException {
    Path path =
        directory.resolve(String.format(Locale.ROOT, "%020d%s", segment.baseOffset, SUFFIX));
    long position = 0;
    long expected = segment.baseOffset;
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
        if ((int) checksum.getValue() != crc || offset != expected) {
          return position;
        }
        segment.index(position, time);
        position += 8 + bodyLength;
        expected++;
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
