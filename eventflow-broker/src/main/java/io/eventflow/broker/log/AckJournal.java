package io.eventflow.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32C;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persisted acknowledgement state of one subscription: a snapshot (ack cursor, seek epoch and
 * the sparse set of acked offsets above the cursor) plus a journal of the acks and seeks since.
 *
 * <p>Each journal record is 21 bytes: {@code [crc32c][type][a][b]}. When the journal grows past
 * {@link #COMPACT_BYTES} the owner writes a new snapshot generation: snapshot {@code n+1} is
 * written to a temporary file, forced and renamed into place before journal {@code n} is deleted,
 * so a crash at any point leaves a snapshot whose own journal replays on top of it exactly.
 *
 * <p>What opening had to cut (a torn last record, corrupt records, an unreadable snapshot) is
 * logged and listed in {@link #repairs()}: a cut ack means its message is delivered again.
 *
 * <p>Not thread-safe: the owning subscription serializes calls.
 */
public final class AckJournal implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(AckJournal.class);

  /** 16 MiB of journal is about 800k acks: replayed in well under a second on open. */
  public static final long COMPACT_BYTES = 16L * 1024 * 1024;

  private static final int RECORD_BYTES = 4 + 1 + 8 + 8;
  private static final byte ACK = 1;
  private static final byte SEEK = 2;
  private static final long SNAPSHOT_MAGIC = 0x4546_4143_4b53_4e31L;

  @Nullable private final Path directory;
  private final FsyncPolicy fsync;
  private long generation;
  @Nullable private FileChannel journal;
  private long journalBytes;
  private final State recovered;
  private final List<Repair> repairs;
  private final CRC32C checksum = new CRC32C();
  private ByteBuffer scratch = ByteBuffer.allocate(RECORD_BYTES * 64);

  /**
   * The acknowledgement state as recovered on open.
   *
   * @param cursor every offset below this is acknowledged
   * @param epoch incremented by every seek, so ack ids handed out before it are refused
   * @param ackedAboveCursor acknowledged offsets at or above the cursor
   */
  public record State(long cursor, long epoch, long[] ackedAboveCursor) {}

  private AckJournal(
      @Nullable Path directory, FsyncPolicy fsync, State recovered, List<Repair> repairs) {
    this.directory = directory;
    this.fsync = fsync;
    this.recovered = recovered;
    this.repairs = List.copyOf(repairs);
  }

  /**
   * Opens the journal in {@code directory} (null: in memory, nothing persisted), creating it with
   * {@code initialCursor} if it does not exist yet.
   */
  public static AckJournal open(@Nullable Path directory, FsyncPolicy fsync, long initialCursor)
      throws IOException {
    if (directory == null) {
      return new AckJournal(null, fsync, new State(initialCursor, 0, new long[0]), List.of());
    }
    Files.createDirectories(directory);
    List<Repair> repairs = new ArrayList<>();
    long generation = -1;
    State snapshot = null;
    List<Long> unreadable = new ArrayList<>();
    for (long g : generations(directory, "state-", ".snap")) {
      State s = readState(directory.resolve(snapshotName(g)));
      if (s == null) {
        unreadable.add(g);
      } else if (g > generation) {
        generation = g;
        snapshot = s;
      }
    }
    for (long g : unreadable) {
      Path file = directory.resolve(snapshotName(g));
      String detail =
          g > generation
              ? "the newest snapshot does not check out; generation "
                  + generation
                  + " is used instead, so acks recorded only in the newer one are delivered again"
              : "an older snapshot does not check out; it was superseded and is removed";
      logger.warn("{}: {}", file, detail);
      repairs.add(new Repair(Repair.Kind.SNAPSHOT_UNREADABLE, file, Files.size(file), detail));
    }
    if (snapshot == null) {
      generation = 0;
      snapshot = new State(initialCursor, 0, new long[0]);
      writeSnapshot(directory, generation, snapshot);
    }
    State state = replay(directory.resolve(journalName(generation)), snapshot, repairs);
    AckJournal journal = new AckJournal(directory, fsync, state, repairs);
    journal.generation = generation;
    journal.openJournal();
    journal.deleteOtherGenerations();
    return journal;
  }

  /** The state recovered when the journal was opened. */
  public State recovered() {
    return recovered;
  }

  /** What opening cut from the snapshot and journal files; empty when they were intact. */
  public List<Repair> repairs() {
    return repairs;
  }

  /** Appends acks for {@code offsets[0..count)} with one write. */
  public void appendAcks(long[] offsets, int count) throws IOException {
    if (journal == null || count == 0) {
      return;
    }
    if (scratch.capacity() < count * RECORD_BYTES) {
      scratch = ByteBuffer.allocate(count * RECORD_BYTES);
    }
    scratch.clear();
    for (int i = 0; i < count; i++) {
      putRecord(ACK, offsets[i], 0);
    }
    write();
  }

  /** Appends a seek that moved the cursor to {@code cursor} and started {@code epoch}. */
  public void appendSeek(long cursor, long epoch) throws IOException {
    if (journal == null) {
      return;
    }
    scratch.clear();
    putRecord(SEEK, cursor, epoch);
    write();
  }

  /** Whether the journal is big enough that the owner should call {@link #compact}. */
  public boolean needsCompaction() {
    return journal != null && journalBytes > COMPACT_BYTES;
  }

  /** Replaces snapshot and journal with a snapshot of the given state. */
  public void compact(State state) throws IOException {
    if (directory == null) {
      return;
    }
    long next = generation + 1;
    writeSnapshot(directory, next, state);
    FileChannel old = journal;
    generation = next;
    openJournal();
    if (old != null) {
      old.close();
    }
    deleteOtherGenerations();
  }

  /** Forces the journal to disk (the {@link FsyncPolicy#INTERVAL} timer calls this). */
  public void sync() throws IOException {
    if (journal != null && journal.isOpen()) {
      journal.force(false);
    }
  }

  @Override
  public void close() throws IOException {
    if (journal != null) {
      if (fsync != FsyncPolicy.NEVER && journal.isOpen()) {
        journal.force(false);
      }
      journal.close();
    }
  }

  /** Closes the journal and removes its files. */
  public void delete() throws IOException {
    close();
    if (directory != null) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
        for (Path file : files) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  private void putRecord(byte type, long a, long b) {
    int start = scratch.position();
    scratch.putInt(0).put(type).putLong(a).putLong(b);
    checksum.reset();
    checksum.update(scratch.array(), start + 4, RECORD_BYTES - 4);
    scratch.putInt(start, (int) checksum.getValue());
  }

  private void write() throws IOException {
    scratch.flip();
    while (scratch.hasRemaining()) {
      journalBytes += journal.write(scratch);
    }
    if (fsync == FsyncPolicy.ALWAYS) {
      journal.force(false);
    }
  }

  private void openJournal() throws IOException {
    Path path = directory.resolve(journalName(generation));
    journal = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    journalBytes = journal.size();
    journal.position(journalBytes);
  }

  private void deleteOtherGenerations() throws IOException {
    for (long g : generations(directory, "state-", ".snap")) {
      if (g != generation) {
        Files.deleteIfExists(directory.resolve(snapshotName(g)));
      }
    }
    for (long g : generations(directory, "acks-", ".log")) {
      if (g != generation) {
        Files.deleteIfExists(directory.resolve(journalName(g)));
      }
    }
  }

  private static State replay(Path path, State snapshot, List<Repair> repairs) throws IOException {
    long cursor = snapshot.cursor();
    long epoch = snapshot.epoch();
    java.util.TreeSet<Long> acked = new java.util.TreeSet<>();
    for (long o : snapshot.ackedAboveCursor()) {
      acked.add(o);
    }
    if (Files.exists(path)) {
      byte[] bytes = Files.readAllBytes(path);
      ByteBuffer in = ByteBuffer.wrap(bytes);
      CRC32C crc = new CRC32C();
      int valid = 0;
      while (in.remaining() >= RECORD_BYTES) {
        int start = in.position();
        int expected = in.getInt();
        crc.reset();
        crc.update(bytes, start + 4, RECORD_BYTES - 4);
        byte type = in.get();
        long a = in.getLong();
        long b = in.getLong();
        if ((int) crc.getValue() != expected) {
          break;
        }
        if (type == ACK) {
          if (a >= cursor) {
            acked.add(a);
          }
        } else if (type == SEEK) {
          cursor = a;
          epoch = b;
          acked.clear();
        } else {
          break;
        }
        valid = in.position();
      }
      if (valid < bytes.length) {
        repairs.add(cut(path, valid, bytes.length));
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
          channel.truncate(valid);
        }
      }
    }
    while (acked.remove(cursor)) {
      cursor++;
    }
    long[] above = acked.tailSet(cursor).stream().mapToLong(Long::longValue).toArray();
    return new State(cursor, epoch, above);
  }

  /**
   * Describes the cut of a journal from byte {@code valid} to {@code length}. Less than one record
   * is a torn final write: an ack that was never answered, so dropping it loses nothing. More is a
   * corrupt record with records after it: those acks were answered, and their messages will be
   * delivered again (at least once still holds, but a consumer sees repeats).
   */
  private static Repair cut(Path path, int valid, int length) {
    int dropped = length - valid;
    Repair repair;
    if (dropped < RECORD_BYTES) {
      repair =
          new Repair(
              Repair.Kind.JOURNAL_TORN_RECORD_DROPPED,
              path,
              dropped,
              "a partial record at byte " + valid + " (an ack never answered) was cut");
      logger.warn("{}: {}", path, repair.detail());
    } else {
      repair =
          new Repair(
              Repair.Kind.JOURNAL_CORRUPT_RECORDS_DROPPED,
              path,
              dropped,
              "a corrupt record at byte "
                  + valid
                  + " was cut with the "
                  + (dropped / RECORD_BYTES)
                  + " record(s) after it: the acks they held are delivered again");
      logger.error("{}: {}", path, repair.detail());
    }
    return repair;
  }

  private static void writeSnapshot(Path directory, long generation, State state)
      throws IOException {
    writeState(directory.resolve(snapshotName(generation)), state);
  }

  /**
   * Writes {@code state} to {@code file} with a CRC, atomically (a forced temporary file renamed
   * over it): the format of the journal's own snapshots, also used for Pub/Sub snapshots.
   */
  public static void writeState(Path file, State state) throws IOException {
    long[] acked = state.ackedAboveCursor();
    ByteBuffer out = ByteBuffer.allocate(8 + 8 + 8 + 4 + acked.length * 8 + 4);
    out.putLong(SNAPSHOT_MAGIC).putLong(state.cursor()).putLong(state.epoch()).putInt(acked.length);
    for (long o : acked) {
      out.putLong(o);
    }
    CRC32C crc = new CRC32C();
    crc.update(out.array(), 0, out.position());
    out.putInt((int) crc.getValue());
    out.flip();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel channel =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      while (out.hasRemaining()) {
        channel.write(out);
      }
      channel.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Reads a state {@link #writeState} wrote, or returns null if it does not check out. */
  @Nullable
  public static State readState(Path path) throws IOException {
    byte[] bytes = Files.readAllBytes(path);
    if (bytes.length < 32) {
      return null;
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    if (in.getLong() != SNAPSHOT_MAGIC) {
      return null;
    }
    long cursor = in.getLong();
    long epoch = in.getLong();
    int count = in.getInt();
    if (count < 0 || bytes.length != 28 + count * 8L + 4) {
      return null;
    }
    long[] acked = new long[count];
    for (int i = 0; i < count; i++) {
      acked[i] = in.getLong();
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    if ((int) crc.getValue() != in.getInt()) {
      return null;
    }
    return new State(cursor, epoch, acked);
  }

  private static List<Long> generations(Path directory, String prefix, String suffix)
      throws IOException {
    List<Long> generations = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, prefix + "*" + suffix)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        try {
          generations.add(
              Long.parseLong(name.substring(prefix.length(), name.length() - suffix.length())));
        } catch (NumberFormatException e) {
          // Not one of ours (e.g. an editor backup); ignore it.
        }
      }
    }
    return generations;
  }

  private static String snapshotName(long generation) {
    return String.format(Locale.ROOT, "state-%010d.snap", generation);
  }

  private static String journalName(long generation) {
    return String.format(Locale.ROOT, "acks-%010d.log", generation);
  }
}
