package io.eventflow.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentedLogTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final ExecutorService committer = Executors.newCachedThreadPool();
  private Instant now = T0;
  private final Clock clock =
      new Clock() {
        @Override
        public Instant instant() {
          return now;
        }

        @Override
        public java.time.ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }
      };

  @TempDir Path dir;

  @AfterEach
  void stop() {
    committer.shutdownNow();
  }

  private SegmentedLog open(long segmentBytes) throws IOException {
    return SegmentedLog.open(dir, new LogConfig(segmentBytes, FsyncPolicy.NEVER), clock, committer);
  }

  private static long append(SegmentedLog log, String... payloads) throws Exception {
    return log.append(
            payloads.length, (i, offset, time) -> payloads[i].getBytes(StandardCharsets.UTF_8))
        .get(10, TimeUnit.SECONDS);
  }

  private static List<String> readAll(SegmentedLog log, long from) throws IOException {
    List<String> out = new ArrayList<>();
    long next = from;
    while (true) {
      List<LogRecord> records = log.read(next, 1000, 1 << 20);
      if (records.isEmpty()) {
        return out;
      }
      for (LogRecord r : records) {
        out.add(r.offset() + ":" + new String(r.payload(), StandardCharsets.UTF_8));
        next = r.offset() + 1;
      }
    }
  }

  @Test
  void appendedRecordsReadBackInOrderWithDenseOffsets() throws Exception {
    try (SegmentedLog log = open(LogConfig.DEFAULT_SEGMENT_BYTES)) {
      assertThat(append(log, "a", "b")).isEqualTo(0);
      assertThat(append(log, "c")).isEqualTo(2);
      assertThat(log.endOffset()).isEqualTo(3);
      assertThat(readAll(log, 0)).containsExactly("0:a", "1:b", "2:c");
      assertThat(readAll(log, 2)).containsExactly("2:c");
    }
  }

  @Test
  void reopenedLogKeepsRecordsAndContinuesOffsetsAcrossSegments() throws Exception {
    try (SegmentedLog log = open(1024)) {
      for (int i = 0; i < 100; i++) {
        append(log, "record-" + i + "-" + "x".repeat(40));
      }
      assertThat(log.segments().size()).isGreaterThan(3);
    }
    try (SegmentedLog log = open(1024)) {
      assertThat(log.endOffset()).isEqualTo(100);
      assertThat(append(log, "after")).isEqualTo(100);
      List<String> all = readAll(log, 0);
      assertThat(all).hasSize(101);
      assertThat(all.get(42)).startsWith("42:record-42-");
    }
  }

  @Test
  void tornTailFromCrashIsTruncatedAndLaterAppendsFollowIt() throws Exception {
    try (SegmentedLog log = open(LogConfig.DEFAULT_SEGMENT_BYTES)) {
      append(log, "one", "two");
    }
    Path segment = onlySegment();
    long size = Files.size(segment);
    try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      // Half of a third record: a write the crash cut short, never acknowledged.
      channel.write(java.nio.ByteBuffer.wrap(new byte[] {0, 0, 0, 10, 1, 2, 3}), size);
    }
    try (SegmentedLog log = open(LogConfig.DEFAULT_SEGMENT_BYTES)) {
      assertThat(log.endOffset()).isEqualTo(2);
      assertThat(Files.size(segment)).isEqualTo(size);
      // The cut is reported, with the file, the bytes and the first offset it held.
      assertThat(log.repairs())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.kind()).isEqualTo(Repair.Kind.LOG_TAIL_TRUNCATED);
                assertThat(r.file()).isEqualTo(segment);
                assertThat(r.bytesDropped()).isEqualTo(7);
                assertThat(r.detail()).contains("after byte " + size, "offset 2 on");
              });
      append(log, "three");
      assertThat(readAll(log, 0)).containsExactly("0:one", "1:two", "2:three");
    }
  }

  @Test
  void corruptedRecordInLastSegmentEndsTheLogThere() throws Exception {
    try (SegmentedLog log = open(LogConfig.DEFAULT_SEGMENT_BYTES)) {
      append(log, "keep", "flip");
    }
    Path segment = onlySegment();
    byte[] bytes = Files.readAllBytes(segment);
    bytes[bytes.length - 1] ^= 0x01; // One bit of the last payload: its CRC no longer matches.
    Files.write(segment, bytes);
    try (SegmentedLog log = open(LogConfig.DEFAULT_SEGMENT_BYTES)) {
      assertThat(readAll(log, 0)).containsExactly("0:keep");
      assertThat(log.repairs())
          .extracting(Repair::kind)
          .containsExactly(Repair.Kind.LOG_TAIL_TRUNCATED);
    }
    try (SegmentedLog log = open(LogConfig.DEFAULT_SEGMENT_BYTES)) {
      assertThat(log.repairs()).isEmpty();
    }
  }

  /**
   * While the pending batch holds the bound, appends are refused at once (nothing assigned an
   * offset) and succeed again once the committer has taken the batch. The committer here runs only
   * when the test says so: a disk that has not finished a write.
   */
  @Test
  void appendsAreRefusedWhileThePendingBatchIsFullAndAcceptedAfterItIsWritten() throws Exception {
    List<Runnable> stalledCommits = new ArrayList<>();
    try (SegmentedLog log =
        SegmentedLog.open(
            null,
            new LogConfig(LogConfig.DEFAULT_SEGMENT_BYTES, FsyncPolicy.NEVER, 100),
            clock,
            stalledCommits::add)) {
      byte[] payload = new byte[40];
      CompletableFuture<Long> first = log.append(1, (i, offset, time) -> payload);
      CompletableFuture<Long> second = log.append(1, (i, offset, time) -> payload);
      // 2 x (24-byte header + 40) = 128 bytes pending, past the bound of 100.
      assertThat(log.pendingBytes()).isEqualTo(128);
      CompletableFuture<Long> refused = log.append(1, (i, offset, time) -> payload);

      assertThat(refused).isCompletedExceptionally();
      assertThatThrownBy(refused::join)
          .hasCauseInstanceOf(LogFullException.class)
          .hasMessageContaining("128 bytes are waiting to be written (bound 100)");
      assertThat(first).isNotDone();

      stalledCommits.remove(0).run();
      assertThat(first.get()).isZero();
      assertThat(second.get()).isOne();
      assertThat(log.pendingBytes()).isZero();
      CompletableFuture<Long> accepted = log.append(1, (i, offset, time) -> payload);
      stalledCommits.remove(0).run();
      // The refused append took no offset: the next one follows the written ones densely.
      assertThat(accepted.get()).isEqualTo(2);
    }
  }

  @Test
  void corruptedSealedSegmentRefusesToOpen() throws Exception {
    try (SegmentedLog log = open(1024)) {
      for (int i = 0; i < 50; i++) {
        append(log, "x".repeat(100));
      }
    }
    Path first;
    try (Stream<Path> files = Files.list(dir)) {
      first = files.sorted().findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(first);
    bytes[30] ^= 0x01;
    Files.write(first, bytes);
    assertThatThrownBy(() -> open(1024)).hasMessageContaining("corrupt record in sealed segment");
  }

  @Test
  void offsetForTimeFindsFirstRecordAtOrAfterTime() throws Exception {
    try (SegmentedLog log = open(1024)) {
      for (int i = 0; i < 60; i++) {
        now = T0.plusSeconds(i);
        append(log, "t" + i + "-" + "y".repeat(60));
      }
      assertThat(log.offsetForTime(micros(T0.minusSeconds(5)))).isEqualTo(0);
      assertThat(log.offsetForTime(micros(T0.plusSeconds(37)))).isEqualTo(37);
      assertThat(log.offsetForTime(micros(T0.plusMillis(37_500)))).isEqualTo(38);
      assertThat(log.offsetForTime(micros(T0.plusSeconds(600)))).isEqualTo(60);
    }
  }

  @Test
  void publishTimesNeverGoBackwardsWhenTheClockDoes() throws Exception {
    try (SegmentedLog log = open(LogConfig.DEFAULT_SEGMENT_BYTES)) {
      now = T0.plusSeconds(10);
      append(log, "late");
      now = T0;
      append(log, "clock stepped back");
      List<LogRecord> records = log.read(0, 10, 1 << 20);
      assertThat(records.get(1).publishTimeMicros()).isEqualTo(records.get(0).publishTimeMicros());
    }
  }

  @Test
  void deletingOldSegmentsMovesTheStartButNeverDeletesTheActiveSegment() throws Exception {
    try (SegmentedLog log = open(1024)) {
      for (int i = 0; i < 40; i++) {
        append(log, "z".repeat(100));
      }
      List<SegmentInfo> segments = log.segments();
      long secondBase = segments.get(1).baseOffset();
      assertThat(log.deleteSegmentsBefore(secondBase)).isEqualTo(1);
      assertThat(log.startOffset()).isEqualTo(secondBase);
      assertThat(log.read(0, 1, 1 << 20).get(0).offset()).isEqualTo(secondBase);
      log.deleteSegmentsBefore(Long.MAX_VALUE);
      assertThat(log.segments()).hasSize(1);
      assertThat(log.segments().get(0).active()).isTrue();
    }
  }

  @Test
  void concurrentAppendersGetDistinctOffsetsAndEveryRecordIsStored() throws Exception {
    try (SegmentedLog log = open(64 * 1024)) {
      ExecutorService appenders = Executors.newFixedThreadPool(8);
      List<CompletableFuture<Long>> futures = new ArrayList<>();
      List<java.util.concurrent.Future<?>> submitted = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        submitted.add(
            appenders.submit(
                () -> {
                  for (int i = 0; i < 500; i++) {
                    String payload = thread + "/" + i;
                    CompletableFuture<Long> f =
                        log.append(
                            1, (x, offset, time) -> payload.getBytes(StandardCharsets.UTF_8));
                    synchronized (futures) {
                      futures.add(f);
                    }
                  }
                }));
      }
      for (var s : submitted) {
        s.get(30, TimeUnit.SECONDS);
      }
      appenders.shutdown();
      java.util.Set<Long> offsets = new java.util.HashSet<>();
      for (CompletableFuture<Long> f : futures) {
        offsets.add(f.get(30, TimeUnit.SECONDS));
      }
      assertThat(offsets).hasSize(4000);
      assertThat(readAll(log, 0)).hasSize(4000).doesNotHaveDuplicates();
    }
  }

  /**
   * A compacted segment keeps the records it kept under their own offsets: reads, the time index,
   * payload sizes and publish times skip what was removed, and so does a reopened log.
   */
  @Test
  void aCompactedSegmentKeepsItsRecordsUnderTheirOffsetsAcrossAReopen() throws Exception {
    List<String> expected = new ArrayList<>();
    SegmentInfo first;
    try (SegmentedLog log = open(1024)) {
      for (int i = 0; i < 40; i++) {
        now = T0.plusSeconds(i);
        append(log, "r" + i + "-" + "x".repeat(100));
      }
      first = log.segments().get(0);
      assertThat(first.records()).isGreaterThan(3);
      for (String record : readAll(log, 0)) {
        long offset = Long.parseLong(record.substring(0, record.indexOf(':')));
        if (offset >= first.endOffset() || offset % 2 == 1) {
          expected.add(record);
        }
      }
      SegmentedLog.Kept kept =
          log.compact(first.baseOffset(), o -> o % 2 == 1, n -> {}, ReclaimObserver.NONE);

      assertThat(kept.records()).isEqualTo(first.records() / 2);
      assertThat(log.segments().get(0).bytes()).isEqualTo(kept.bytes()).isLessThan(first.bytes());
      assertThat(log.segments().get(0).endOffset()).isEqualTo(first.endOffset());
      assertThat(readAll(log, 0)).isEqualTo(expected);
      assertThat(readAll(log, 2)).isEqualTo(expected.subList(1, expected.size()));
      assertThat(log.offsetForTime(micros(T0.plusSeconds(2)))).isEqualTo(3);
      assertThat(log.publishTimeMicros(2)).isEqualTo(-1);
      assertThat(log.publishTimeMicros(3)).isEqualTo(micros(T0.plusSeconds(3)));
      assertThat(log.payloadBytes(2, 4)).isEqualTo("r3-".length() + 100);
    }
    try (SegmentedLog log = open(1024)) {
      assertThat(log.repairs()).isEmpty();
      assertThat(readAll(log, 0)).isEqualTo(expected);
      assertThat(log.endOffset()).isEqualTo(40);
      assertThat(log.segments().get(0).records()).isEqualTo(first.records() / 2);
      assertThat(temporaryFiles()).isEmpty();
    }
  }

  /** A segment in the middle of the log can go; reads skip its range, before and after a reopen. */
  @Test
  void deletingASegmentInTheMiddleLeavesAGapThatReadsSkip() throws Exception {
    List<String> expected = new ArrayList<>();
    try (SegmentedLog log = open(1024)) {
      for (int i = 0; i < 40; i++) {
        append(log, "z" + i + "-" + "z".repeat(100));
      }
      List<SegmentInfo> segments = log.segments();
      SegmentInfo second = segments.get(1);
      for (String record : readAll(log, 0)) {
        long offset = Long.parseLong(record.substring(0, record.indexOf(':')));
        if (offset < second.baseOffset() || offset >= second.endOffset()) {
          expected.add(record);
        }
      }
      assertThat(log.deleteSegment(second.baseOffset(), ReclaimObserver.NONE)).isTrue();
      assertThat(
              log.deleteSegment(
                  segments.get(segments.size() - 1).baseOffset(), ReclaimObserver.NONE))
          .as("the active segment is never deleted")
          .isFalse();

      assertThat(readAll(log, 0)).isEqualTo(expected);
      assertThat(log.read(second.baseOffset(), 1, 1 << 20).get(0).offset())
          .isEqualTo(second.endOffset());
      assertThat(log.payloadBytes(second.baseOffset(), second.endOffset())).isZero();
    }
    try (SegmentedLog log = open(1024)) {
      assertThat(readAll(log, 0)).isEqualTo(expected);
      assertThat(log.startOffset()).isZero();
      assertThat(log.endOffset()).isEqualTo(40);
    }
  }

  /** The temporary file of a compaction a crash cut short is removed on open, and reported. */
  @Test
  void aCompactionCutShortLeavesATemporaryFileThatOpeningRemovesAndReports() throws Exception {
    try (SegmentedLog log = open(1024)) {
      for (int i = 0; i < 40; i++) {
        append(log, "y".repeat(100));
      }
    }
    Path leftover = dir.resolve(String.format(java.util.Locale.ROOT, "%020d.log.compacting", 0));
    Files.write(leftover, new byte[100]);
    try (SegmentedLog log = open(1024)) {
      assertThat(leftover).doesNotExist();
      assertThat(log.repairs())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.kind()).isEqualTo(Repair.Kind.COMPACTION_INTERRUPTED_REMOVED);
                assertThat(r.bytesDropped()).isEqualTo(100);
              });
      assertThat(readAll(log, 0)).hasSize(40);
    }
  }

  /**
   * Seeded random rounds of appends, compactions (random records kept), deletions and reopens: the
   * log always reads back exactly the records a model kept. The seed is printed; rerun one with
   * {@code -Dlog.seed=N}.
   */
  @Test
  void randomCompactionsAndDeletionsReadBackExactlyWhatWasKept() throws Exception {
    long seed = Long.getLong("log.seed", System.nanoTime());
    System.out.println("randomCompactionsAndDeletionsReadBackExactlyWhatWasKept seed=" + seed);
    java.util.Random random = new java.util.Random(seed);
    java.util.TreeMap<Long, String> model = new java.util.TreeMap<>();
    SegmentedLog log = open(2048);
    try {
      for (int round = 0; round < 30; round++) {
        for (int i = random.nextInt(40); i > 0; i--) {
          String payload = "p" + round + "-" + i + "-" + "w".repeat(random.nextInt(200));
          model.put(append(log, payload), payload);
        }
        List<SegmentInfo> segments = log.segments();
        if (segments.size() > 1) {
          SegmentInfo target = segments.get(random.nextInt(segments.size() - 1));
          if (random.nextInt(4) == 0) {
            assertThat(log.deleteSegment(target.baseOffset(), ReclaimObserver.NONE)).isTrue();
            model.subMap(target.baseOffset(), target.endOffset()).clear();
          } else {
            double keepShare = random.nextDouble();
            java.util.Set<Long> keep = new java.util.HashSet<>();
            for (long offset : model.subMap(target.baseOffset(), target.endOffset()).keySet()) {
              if (random.nextDouble() < keepShare) {
                keep.add(offset);
              }
            }
            assertThat(
                    log.compact(target.baseOffset(), keep::contains, n -> {}, ReclaimObserver.NONE))
                .isNotNull();
            model.subMap(target.baseOffset(), target.endOffset()).keySet().retainAll(keep);
          }
        }
        if (random.nextInt(5) == 0) {
          log.close();
          log = open(2048);
          assertThat(log.repairs()).isEmpty();
        }
        List<String> expected = new ArrayList<>();
        model.forEach((offset, payload) -> expected.add(offset + ":" + payload));
        assertThat(readAll(log, 0)).as("seed %d, round %d", seed, round).isEqualTo(expected);
        assertThat(temporaryFiles()).isEmpty();
      }
    } finally {
      log.close();
    }
  }

  /**
   * Readers running while segments are compacted under them (here keeping every record, so each
   * read must see the whole log) retry on the swapped segment and never fail or miss a record.
   */
  @Test
  void readersDuringCompactionNeverFailOrMissARecord() throws Exception {
    try (SegmentedLog log = open(1024)) {
      for (int i = 0; i < 200; i++) {
        append(log, "c" + i + "-" + "c".repeat(100));
      }
      List<String> all = readAll(log, 0);
      java.util.concurrent.atomic.AtomicBoolean done =
          new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.Future<Integer> reader =
          committer.submit(
              () -> {
                int reads = 0;
                while (!done.get()) {
                  assertThat(readAll(log, 0)).isEqualTo(all);
                  reads++;
                }
                return reads;
              });
      for (int round = 0; round < 5; round++) {
        for (SegmentInfo segment : log.segments()) {
          if (!segment.active()) {
            log.compact(segment.baseOffset(), o -> true, n -> {}, ReclaimObserver.NONE);
          }
        }
      }
      done.set(true);
      assertThat(reader.get(30, TimeUnit.SECONDS)).isPositive();
      assertThat(readAll(log, 0)).isEqualTo(all);
    }
  }

  private List<Path> temporaryFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".compacting")).toList();
    }
  }

  private Path onlySegment() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".log")).findFirst().orElseThrow();
    }
  }

  private static long micros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }
}
