package io.eventflow.beam;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.util.UUID;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.MonotonicNonNull;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Passes on the first element with each id and drops repeats seen within a window, remembering ids
 * in a cache of this JVM: the dedup of a job on the single-process DirectRunner.
 *
 * <p>Beam's {@code Deduplicate} keeps a state cell and a timer per id. The DirectRunner processes
 * each key in a bundle of its own and scans pending timers on every step, so with one key per event
 * it managed about 50 events per second in the local stack. Here every copy of the DoFn in the JVM
 * shares one cache, found by an id the transform draws when it is built.
 *
 * <p>The cache holds at most {@link #MAX_IDS} ids (about 200 MB): the whole window below about
 * 1,700 events per second, the last 50 seconds at 20,000. Ids are forgotten when the process ends,
 * so only a distributed runner's {@code Deduplicate} catches repeats across restarts.
 */
public final class DropRepeatedIdsInMemory<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private static final long serialVersionUID = 1L;

  /** The most ids remembered at once. */
  static final long MAX_IDS = 1_000_000;

  /**
   * The caches of live transforms by their id. Weak values: a cache goes when the last DoFn of its
   * pipeline does.
   */
  private static final Cache<String, Cache<String, Boolean>> CACHES =
      Caffeine.newBuilder().weakValues().build();

  private final SerializableFunction<T, String> idOf;
  private final Duration window;
  private final String cacheId = UUID.randomUUID().toString();

  /** Drops elements whose {@code idOf} was seen within {@code window}. */
  public DropRepeatedIdsInMemory(SerializableFunction<T, String> idOf, Duration window) {
    this.idOf = idOf;
    this.window = window;
  }

  @Override
  public PCollection<T> expand(PCollection<T> input) {
    return input
        .apply("DropRepeatedIdsInMemory", ParDo.of(new DropFn<>(idOf, window, cacheId)))
        .setCoder(input.getCoder());
  }

  /** Outputs an element only if its id was absent from the shared cache. */
  static final class DropFn<T> extends DoFn<T, T> {
    private static final long serialVersionUID = 1L;

    private final SerializableFunction<T, String> idOf;
    private final Duration window;
    private final String cacheId;
    // Not serialized: a DoFn the runner deserializes reads the system's clock.
    private final transient @Nullable Ticker ticker;
    private transient @MonotonicNonNull Cache<String, Boolean> seen;

    DropFn(SerializableFunction<T, String> idOf, Duration window, String cacheId) {
      this(idOf, window, cacheId, null);
    }

    /** A DoFn whose cache expires ids by {@code ticker}, for tests; the system's when null. */
    DropFn(
        SerializableFunction<T, String> idOf,
        Duration window,
        String cacheId,
        @Nullable Ticker ticker) {
      this.idOf = idOf;
      this.window = window;
      this.cacheId = cacheId;
      this.ticker = ticker;
    }

    @Setup
    public void setup() {
      seen =
          CACHES.get(
              cacheId,
              id ->
                  Caffeine.newBuilder()
                      .ticker(ticker != null ? ticker : Ticker.systemTicker())
                      .expireAfterWrite(java.time.Duration.ofMillis(window.getMillis()))
                      .maximumSize(MAX_IDS)
                      .build());
    }

    @ProcessElement
    public void processElement(@Element T element, OutputReceiver<T> out) {
      if (firstSeen(element)) {
        out.output(element);
      }
    }

    /** Whether no element with this one's id was seen within the window, remembering it. */
    boolean firstSeen(T element) {
      return seen.asMap().putIfAbsent(idOf.apply(element), Boolean.TRUE) == null;
    }
  }
}
