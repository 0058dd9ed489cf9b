package io.eventflow.broker.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AckJournalTest {
  @TempDir Path dir;

  @Test
  void newJournalStartsAtTheInitialCursor() throws Exception {
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 42)) {
      assertThat(journal.recovered().cursor()).isEqualTo(42);
    }
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      assertThat(journal.recovered().cursor()).isEqualTo(42);
    }
  }

  @Test
  void acksReplayIntoCursorAndSparseSet() throws Exception {
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      journal.appendAcks(new long[] {0, 1, 2, 5, 7}, 5);
      journal.appendAcks(new long[] {3}, 1);
    }
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      assertThat(journal.recovered().cursor()).isEqualTo(4);
      assertThat(journal.recovered().ackedAboveCursor()).containsExactly(5, 7);
    }
  }

  @Test
  void seekResetsAcksAndStartsANewEpoch() throws Exception {
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      journal.appendAcks(new long[] {0, 1, 9}, 3);
      journal.appendSeek(1, 1);
      journal.appendAcks(new long[] {2}, 1);
    }
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      assertThat(journal.recovered().cursor()).isEqualTo(1);
      assertThat(journal.recovered().epoch()).isEqualTo(1);
      assertThat(journal.recovered().ackedAboveCursor()).containsExactly(2);
    }
  }

  @Test
  void compactionKeepsStateAndRemovesOldGenerations() throws Exception {
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.ALWAYS, 0)) {
      journal.appendAcks(new long[] {0, 1, 4}, 3);
      journal.compact(new AckJournal.State(2, 3, new long[] {4}));
      journal.appendAcks(new long[] {6}, 1);
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("state-0000000001.snap", "acks-0000000001.log");
    }
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      assertThat(journal.recovered().cursor()).isEqualTo(2);
      assertThat(journal.recovered().epoch()).isEqualTo(3);
      assertThat(journal.recovered().ackedAboveCursor()).containsExactly(4, 6);
    }
  }

  @Test
  void tornLastRecordIsDroppedAndLaterAcksStillReplay() throws Exception {
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      journal.appendAcks(new long[] {0}, 1);
    }
    Path log = dir.resolve("acks-0000000000.log");
    Files.write(log, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      assertThat(journal.recovered().cursor()).isEqualTo(1);
      assertThat(journal.repairs())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.kind()).isEqualTo(Repair.Kind.JOURNAL_TORN_RECORD_DROPPED);
                assertThat(r.bytesDropped()).isEqualTo(3);
              });
      journal.appendAcks(new long[] {1}, 1);
    }
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      assertThat(journal.recovered().cursor()).isEqualTo(2);
    }
  }

  /**
   * A corrupt record in the middle of the journal cuts everything after it; that is reported with
   * the number of records lost (their acks will be delivered again), not done silently.
   */
  @Test
  void corruptRecordInTheMiddleIsCutAndReportedWithTheRecordsAfterIt() throws Exception {
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      journal.appendAcks(new long[] {0, 1, 2, 3}, 4);
    }
    Path log = dir.resolve("acks-0000000000.log");
    byte[] bytes = Files.readAllBytes(log);
    bytes[21 + 10] ^= 0x01; // The second record's offset: its CRC no longer matches.
    Files.write(log, bytes);

    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      assertThat(journal.recovered().cursor()).isEqualTo(1);
      assertThat(journal.repairs())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.kind()).isEqualTo(Repair.Kind.JOURNAL_CORRUPT_RECORDS_DROPPED);
                assertThat(r.bytesDropped()).isEqualTo(63);
                assertThat(r.detail())
                    .isEqualTo(
                        "a corrupt record at byte 21 was cut with the 3 record(s) after it:"
                            + " the acks they held are delivered again");
              });
    }
  }

  @Test
  void anUnreadableNewestSnapshotIsReportedAndTheOlderGenerationUsed() throws Exception {
    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      journal.appendAcks(new long[] {0}, 1);
    }
    Files.write(dir.resolve("state-0000000001.snap"), new byte[] {1, 2, 3});

    try (AckJournal journal = AckJournal.open(dir, FsyncPolicy.NEVER, 0)) {
      assertThat(journal.recovered().cursor()).isEqualTo(1);
      assertThat(journal.repairs())
          .extracting(Repair::kind)
          .containsExactly(Repair.Kind.SNAPSHOT_UNREADABLE);
    }
  }
}
