package io.eventflow.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.testing.ManualClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class UuidV7GeneratorTest {
  @Test
  void setsVersionSevenAndTheRfcVariant() {
    UUID id = new UuidV7Generator().next();
    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2);
  }

  @Test
  void carriesTheClockMillisecondInTheFirst48Bits() {
    ManualClock clock = new ManualClock(Instant.ofEpochMilli(1_717_171_717_123L));
    UUID id = new UuidV7Generator(clock, () -> 0L).next();
    assertThat(UuidV7Generator.timestampMillis(id)).isEqualTo(1_717_171_717_123L);
    assertThat(id.toString()).isEqualTo("018fcf69-0403-7000-8000-000000000000");
  }

  @Test
  void increasesWhileTheClockStandsStill() {
    UuidV7Generator generator =
        new UuidV7Generator(new ManualClock(Instant.ofEpochMilli(1_000L)), () -> -1L);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      ids.add(generator.nextId());
    }
    // More than 4,096 ids in one millisecond: the timestamp runs ahead and order still holds.
    assertThat(ids).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void neverGoesBackwardsWhenTheClockDoes() {
    ManualClock clock = new ManualClock(Instant.ofEpochMilli(5_000L));
    UuidV7Generator generator = new UuidV7Generator(clock, () -> 0L);
    String before = generator.nextId();
    clock.set(Instant.ofEpochMilli(1_000L));
    String after = generator.nextId();
    assertThat(after).isGreaterThan(before);
  }

  @Test
  void isUniqueAndIncreasingPerThreadAcrossThreads() throws Exception {
    UuidV7Generator generator = new UuidV7Generator();
    Set<String> all = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(
            pool.submit(
                () -> {
                  String previous = "";
                  boolean increasing = true;
                  for (int i = 0; i < 50_000; i++) {
                    String id = generator.nextId();
                    increasing &= id.compareTo(previous) > 0;
                    previous = id;
                    all.add(id);
                  }
                  return increasing;
                }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(all).hasSize(200_000);
  }

  @Test
  void refusesToReadATimestampFromAnotherVersion() {
    assertThatThrownBy(() -> UuidV7Generator.timestampMillis(UUID.randomUUID()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a UUIDv7");
  }
}
