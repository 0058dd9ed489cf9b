package io.eventflow.timeseries.rollups;

import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.IntervalWriter;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.spanner.SpannerIntervalWriter;
import io.eventflow.timeseries.store.spanner.SpannerMutations;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.gcp.spanner.SpannerIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Writes the rows and catalog updates of {@link ComputeRollups} to Spanner or the embedded store.
 *
 * <p>Every write is an idempotent upsert or merge, so a retried bundle may write again safely. A
 * failed write fails the bundle, which the runner retries: rows are never dropped.
 */
public abstract class WriteIntervals extends PTransform<PCollectionTuple, PDone> {
  private static final long serialVersionUID = 1L;

  /**
   * Rows per JDBC write within a bundle: bounds the memory a large bundle buffers (~100 bytes per
   * row) while keeping H2 batches large.
   */
  static final int MAX_BUFFERED = 5_000;

  private WriteIntervals() {}

  /** Returns the transform writing to the embedded H2 store at a {@code jdbc:h2:} URL. */
  public static WriteIntervals toJdbc(String url) {
    return toJdbc(url, false);
  }

  /**
   * Returns the transform writing to the embedded H2 store; with {@code checkpointed}, rows are
   * written only once the checkpoint holding them completed ({@code @RequiresStableInput}), for a
   * runner that restores checkpoints after a crash: a pane replayed from a checkpoint then carries
   * the same rows with the same ids, and its upserts overwrite instead of adding. The catalog needs
   * no such care: merging only widens first and last seen, so a replay changes nothing.
   */
  public static WriteIntervals toJdbc(String url, boolean checkpointed) {
    IntervalWriterFactory writers = IntervalWriterFactory.jdbc(url);
    return new WriteIntervals() {
      private static final long serialVersionUID = 1L;

      @Override
      public PDone expand(PCollectionTuple input) {
        input
            .get(ComputeRollups.ROWS)
            .apply(
                "WriteRows",
                ParDo.of(
                    checkpointed
                        ? new WriteCheckpointedRowsFn(writers)
                        : new WriteRowsFn(writers)));
        input
            .get(ComputeRollups.CATALOG)
            .apply("MergeCatalog", ParDo.of(new MergeCatalogFn(writers)));
        return PDone.in(input.getPipeline());
      }
    };
  }

  /** Returns the transform writing to a Spanner database. */
  public static WriteIntervals toSpanner(IntervalWriterFactory.SpannerTarget target) {
    IntervalWriterFactory writers = IntervalWriterFactory.spanner(target);
    return new WriteIntervals() {
      private static final long serialVersionUID = 1L;

      @Override
      public PDone expand(PCollectionTuple input) {
        SpannerIO.Write write =
            SpannerIO.write()
                .withProjectId(target.project())
                .withInstanceId(target.instance())
                .withDatabaseId(target.database())
                // Spanner allows 80,000 mutated cells per commit; SpannerIO counts cells, so this
                // is the store's 8,000 rows x 7 columns = 56,000, with room for an index.
                .withMaxNumRows(SpannerIntervalWriter.MAX_ROWS_PER_COMMIT)
                .withMaxNumMutations(
                    (long) SpannerIntervalWriter.MAX_ROWS_PER_COMMIT
                        * SpannerMutations.INTERVAL_COLUMNS);
        if (!target.emulatorHost().isEmpty()) {
          write = write.withEmulatorHost(target.emulatorHost());
        }
        input
            .get(ComputeRollups.ROWS)
            .apply(
                "ToMutations",
                MapElements.into(TypeDescriptor.of(com.google.cloud.spanner.Mutation.class))
                    .via(SpannerMutations::interval))
            .setCoder(SerializableCoder.of(com.google.cloud.spanner.Mutation.class))
            .apply("WriteRows", write);
        // The catalog needs read-modify-write (first/last seen only widen), which SpannerIO's
        // blind mutations cannot express: it goes through the store's transactional merge.
        input
            .get(ComputeRollups.CATALOG)
            .apply("MergeCatalog", ParDo.of(new MergeCatalogFn(writers)));
        return PDone.in(input.getPipeline());
      }
    };
  }

  /** Buffers elements of a bundle and writes them through the store's writer. */
  abstract static class BufferedWriteFn<T> extends DoFn<T, Void> {
    private static final long serialVersionUID = 1L;
    private final IntervalWriterFactory writers;
    private transient IntervalWriter writer;
    private transient List<T> buffer;

    BufferedWriteFn(IntervalWriterFactory writers) {
      this.writers = writers;
    }

    @Setup
    public void setup() throws StoreException {
      writer = writers.open();
    }

    @StartBundle
    public void startBundle() {
      buffer = new ArrayList<>();
    }

    /** Buffers an element, writing the buffer when it is full; each subclass's element method. */
    void buffer(T element) throws StoreException {
      buffer.add(element);
      if (buffer.size() >= MAX_BUFFERED) {
        flush();
      }
    }

    @FinishBundle
    public void finishBundle() throws StoreException {
      flush();
    }

    @Teardown
    public void teardown() {
      if (writer != null) {
        writer.close();
      }
    }

    private void flush() throws StoreException {
      if (!buffer.isEmpty()) {
        write(writer, buffer);
        buffer.clear();
      }
    }

    abstract void write(IntervalWriter writer, List<T> elements) throws StoreException;
  }

  /** Upserts buffered interval rows; its subclasses differ in how the runner hands rows over. */
  abstract static class UpsertRowsFn extends BufferedWriteFn<IntervalRow> {
    private static final long serialVersionUID = 1L;

    UpsertRowsFn(IntervalWriterFactory writers) {
      super(writers);
    }

    @Override
    void write(IntervalWriter writer, List<IntervalRow> rows) throws StoreException {
      writer.write(rows);
    }
  }

  /** Upserts interval rows. */
  static final class WriteRowsFn extends UpsertRowsFn {
    private static final long serialVersionUID = 1L;

    WriteRowsFn(IntervalWriterFactory writers) {
      super(writers);
    }

    @ProcessElement
    public void processElement(@Element IntervalRow row) throws StoreException {
      buffer(row);
    }
  }

  /**
   * Upserts interval rows handed over only from completed checkpoints: the runner buffers them in
   * its checkpointed state until the checkpoint completes and hands the same rows over again if it
   * restores that checkpoint.
   */
  static final class WriteCheckpointedRowsFn extends UpsertRowsFn {
    private static final long serialVersionUID = 1L;

    WriteCheckpointedRowsFn(IntervalWriterFactory writers) {
      super(writers);
    }

    @RequiresStableInput
    @ProcessElement
    public void processElement(@Element IntervalRow row) throws StoreException {
      buffer(row);
    }
  }

  /** Merges catalog updates, first collapsing each series' updates of the bundle into one. */
  static final class MergeCatalogFn extends BufferedWriteFn<SeriesInfo> {
    private static final long serialVersionUID = 1L;

    MergeCatalogFn(IntervalWriterFactory writers) {
      super(writers);
    }

    @ProcessElement
    public void processElement(@Element SeriesInfo update) throws StoreException {
      buffer(update);
    }

    @Override
    void write(IntervalWriter writer, List<SeriesInfo> updates) throws StoreException {
      Map<String, SeriesInfo> merged = new LinkedHashMap<>();
      for (SeriesInfo u : updates) {
        merged.merge(
            u.name(),
            u,
            (a, b) ->
                new SeriesInfo(
                    a.name(),
                    a.function(),
                    a.firstSeen().isBefore(b.firstSeen()) ? a.firstSeen() : b.firstSeen(),
                    a.lastSeen().isAfter(b.lastSeen()) ? a.lastSeen() : b.lastSeen()));
      }
      writer.mergeCatalog(merged.values());
    }
  }
}
