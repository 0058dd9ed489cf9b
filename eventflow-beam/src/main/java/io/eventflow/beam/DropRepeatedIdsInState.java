package io.eventflow.beam;

import com.google.common.hash.HashCode;
import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * Passes on the first element with each id and drops repeats seen within a window of processing
 * time, remembering ids as 64-bit fingerprints in checkpointed state: the dedup of a job on a
 * runner that keeps state on the heap and writes all of it at every checkpoint (the local stack's
 * embedded Flink).
 *
 * <p>Beam's {@code Deduplicate} keeps a state cell, a value and a processing-time timer per id. On
 * Flink's heap state backend, which has no incremental checkpoints, a checkpoint serializes each of
 * them: at 10,000 events/s and a 10-minute window that is 6 million keys and timers per checkpoint,
 * which took 41% of the local stack's CPU at one checkpoint a second. Here ids are hashed into
 * {@link #SHARDS} keys, each holding one {@link IdFingerprints} table (16 bytes per id, written as
 * one block of bytes) and one timer that purges expired ids every quarter window: a checkpoint of
 * the same window is about 96 MB of plain bytes.
 *
 * <p>Exactness: two distinct ids are taken for one when their 128-bit murmur3 hashes agree in the
 * 10 bits choosing the shard and the 64 bits stored; with n ids in a shard's window the chance that
 * a new id is dropped this way is about n / 2^64 (below 10^-15 at 10,000 events/s). Ids are
 * remembered for at least the window and at most one second more.
 *
 * <p>Each access to a shard's table during an asynchronous checkpoint copies it once (Flink's
 * copy-on-write), and every update writes the whole table: this is a layout for heap state, not for
 * runners that serialize a value on each write (Dataflow, RocksDB), which keep Beam's {@code
 * Deduplicate}.
 */
public final class DropRepeatedIdsInState<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private static final long serialVersionUID = 1L;

  /**
   * How many keys ids are spread over: a checkpoint copies a shard's table when it is touched
   * during the snapshot, so a shard should stay small (about 6,000 ids at 10,000 events/s and a
   * 10-minute window); 1,024 keys are 8 per key group of the local stack's 128.
   */
  static final int SHARDS = 1024;

  private static final HashFunction HASH = Hashing.murmur3_128();

  private final SerializableFunction<T, String> idOf;
  private final Duration window;
  private final Clock clock;

  /** Drops elements whose {@code idOf} was seen within {@code window} by the system's clock. */
  public DropRepeatedIdsInState(SerializableFunction<T, String> idOf, Duration window) {
    this(idOf, window, Clock.systemUTC());
  }

  /** Drops elements whose {@code idOf} was seen within {@code window} by {@code clock}. */
  public DropRepeatedIdsInState(
      SerializableFunction<T, String> idOf, Duration window, Clock clock) {
    if (window.getMillis() < 1_000) {
      throw new IllegalArgumentException("the dedup window must be at least 1 s: " + window);
    }
    this.idOf = idOf;
    this.window = window;
    this.clock = clock;
  }

  @Override
  public PCollection<T> expand(PCollection<T> input) {
    Coder<T> coder = input.getCoder();
    return input
        .apply("ShardByIdHash", ParDo.of(new ShardFn<>(idOf)))
        .setCoder(KvCoder.of(VarIntCoder.of(), KvCoder.of(BigEndianLongCoder.of(), coder)))
        .apply("DropRepeatedIds", ParDo.of(new DropFn<T>(window, clock)))
        .setCoder(coder);
  }

  /** Keys each element by its id's shard, with its id's fingerprint. */
  static final class ShardFn<T> extends DoFn<T, KV<Integer, KV<Long, T>>> {
    private static final long serialVersionUID = 1L;
    private final SerializableFunction<T, String> idOf;

    ShardFn(SerializableFunction<T, String> idOf) {
      this.idOf = idOf;
    }

    @ProcessElement
    public void processElement(@Element T element, OutputReceiver<KV<Integer, KV<Long, T>>> out) {
      HashCode hash = HASH.hashString(idOf.apply(element), StandardCharsets.UTF_8);
      byte[] bytes = hash.asBytes();
      // Bytes 0-7 are the fingerprint, bytes 8-9 the shard: independent bits of the hash.
      int shard = ((bytes[8] & 0xff) << 8 | (bytes[9] & 0xff)) % SHARDS;
      out.output(KV.of(shard, KV.of(IdFingerprints.fingerprint(hash.asLong()), element)));
    }
  }

  /** Outputs an element if its fingerprint is new to its shard's table within the window. */
  static final class DropFn<T> extends DoFn<KV<Integer, KV<Long, T>>, T> {
    private static final long serialVersionUID = 1L;

    @StateId("fingerprints")
    private final StateSpec<ValueState<IdFingerprints>> fingerprints =
        StateSpecs.value(new IdFingerprints.Coder());

    @TimerId("purge")
    private final TimerSpec purge = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

    private final Duration window;
    private final Clock clock;

    DropFn(Duration window, Clock clock) {
      this.window = window;
      this.clock = clock;
    }

    @ProcessElement
    public void processElement(
        @Element KV<Integer, KV<Long, T>> element,
        @StateId("fingerprints") ValueState<IdFingerprints> state,
        @TimerId("purge") Timer purgeTimer,
        OutputReceiver<T> out) {
      long now = clock.millis() / 1_000;
      IdFingerprints seen = state.read();
      if (seen == null) {
        seen = new IdFingerprints(now);
        // The first id of an empty shard: expired ids are purged every quarter window from now
        // on, as long as the shard holds any.
        purgeTimer.offset(purgeInterval()).setRelative();
      }
      if (seen.addIfAbsent(element.getValue().getKey(), now, windowSeconds())) {
        state.write(seen);
        out.output(element.getValue().getValue());
      }
    }

    /**
     * Drops expired ids, and the whole table when none is left; otherwise purges again a quarter
     * window later, so a table holds at most 1.25 windows of ids.
     */
    @OnTimer("purge")
    public void onPurge(
        @StateId("fingerprints") ValueState<IdFingerprints> state,
        @TimerId("purge") Timer purgeTimer) {
      IdFingerprints seen = state.read();
      if (seen == null || seen.purge(clock.millis() / 1_000, windowSeconds()) == 0) {
        state.clear();
        return;
      }
      state.write(seen);
      purgeTimer.offset(purgeInterval()).setRelative();
    }

    private long windowSeconds() {
      return window.getStandardSeconds();
    }

    private Duration purgeInterval() {
      return Duration.millis(Math.max(1_000, window.getMillis() / 4));
    }
  }
}
