package io.eventflow.ingest;

import com.google.api.services.bigquery.model.TableRow;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.joda.time.format.DateTimeFormat;
import org.joda.time.format.DateTimeFormatter;

/**
 * Writes table rows to the archive as gzip-compressed JSON lines, one line per row in the same
 * shape as the BigQuery table, so DuckDB or a BigQuery external table reads the files with the very
 * schema files in {@code schemas/}.
 *
 * <p>Valid events go to {@code valid/dt=YYYY-MM-DD/type=TYPE/} by event date and type; invalid
 * messages to {@code invalid/dt=YYYY-MM-DD/} by receipt date (Hive-style folders, which both
 * readers prune on). Files are cut per window of arrival time; a file name holds the run id, the
 * window, the pane index and the shard, so no two writes ever produce the same name, not even late
 * panes of one window or a restarted job.
 */
public final class ArchiveEvents extends PTransform<PCollection<TableRow>, PDone> {
  private static final long serialVersionUID = 1L;

  /**
   * Rows are stamped with their arrival time, which the watermark cannot have passed, so none
   * should be late; should one be, it is still archived for this long after its window closed.
   * Short on purpose: until then the runner keeps a timer per folder, shard and window, and the
   * DirectRunner scans every pending timer on each step (a day of one-minute windows slowed the
   * local stack down hour by hour).
   */
  static final Duration ALLOWED_LATENESS = Duration.standardMinutes(10);

  private final String location;
  private final SerializableFunction<TableRow, String> folder;
  private final String runId;
  private final Duration window;
  private final int shards;
  private final Clock clock;
  private final boolean checkpointed;

  private ArchiveEvents(
      String location,
      SerializableFunction<TableRow, String> folder,
      String runId,
      Duration window,
      int shards,
      Clock clock,
      boolean checkpointed) {
    this.location = location;
    this.folder = folder;
    this.runId = runId;
    this.window = window;
    this.shards = shards;
    this.clock = clock;
    this.checkpointed = checkpointed;
  }

  /** Archives {@code events} rows under {@code valid/dt=…/type=…/}. */
  public static ArchiveEvents valid(
      String location, String runId, Duration window, int shards, Clock clock) {
    return new ArchiveEvents(
        location, ArchiveEvents::validFolder, runId, window, shards, clock, false);
  }

  /** Archives {@code invalid_messages} rows under {@code invalid/dt=…/}. */
  public static ArchiveEvents invalid(
      String location, String runId, Duration window, int shards, Clock clock) {
    return new ArchiveEvents(
        location, ArchiveEvents::invalidFolder, runId, window, shards, clock, false);
  }

  /**
   * Returns this transform writing each pane as one file named by its folder, window and pane
   * index, from checkpointed input only, instead of through Beam's file writer: for a runner that
   * restores checkpoints after a crash (Flink), where a pane replayed from a checkpoint must
   * overwrite the file it wrote before, never add a second one. {@code runId} must then be the same
   * across restores. Beam's file writer counts on a runner that never replays a write it committed
   * (Dataflow), and on Flink names a replayed pane's temporary files anew.
   */
  public ArchiveEvents checkpointed() {
    return new ArchiveEvents(location, folder, runId, window, shards, clock, true);
  }

  /**
   * Returns the archive {@code kind} ({@link #valid} or {@link #invalid}) as the options configure
   * it: their location, window and shards, and checkpointed with {@code --checkpointedWrites}.
   */
  static ArchiveEvents of(
      ArchiveFactory kind, DeadLetterOptions options, String runId, Clock clock) {
    ArchiveEvents archive =
        kind.create(
            options.getArchiveLocation(),
            runId,
            Duration.standardMinutes(options.getArchiveWindowMinutes()),
            options.getArchiveShards(),
            clock);
    return options.getCheckpointedWrites() ? archive.checkpointed() : archive;
  }

  /** {@link #valid} or {@link #invalid}. */
  @FunctionalInterface
  interface ArchiveFactory {
    /** Creates the archive transform. */
    ArchiveEvents create(String location, String runId, Duration window, int shards, Clock clock);
  }

  /** Returns the folder of an {@code events} row. */
  static String validFolder(TableRow row) {
    return "valid/dt="
        + TableRows.date((String) row.get("timestamp"))
        + "/type="
        // A type may hold '/' or other characters a path cannot; percent-encoding keeps one
        // folder per type and is reversible.
        + URLEncoder.encode((String) row.get("type"), StandardCharsets.UTF_8);
  }

  /** Returns the folder of an {@code invalid_messages} row. */
  static String invalidFolder(TableRow row) {
    return "invalid/dt=" + TableRows.date((String) row.get("received_at"));
  }

  @Override
  public PDone expand(PCollection<TableRow> rows) {
    String prefix = runId;
    SerializableFunction<TableRow, String> folderOf = folder;
    // Rows become their JSON line (and folder) once, up front: grouped and written as strings, not
    // as TableRows that the grouping would encode and decode as JSON again (a fifth of the local
    // stack's CPU went there).
    PCollection<KV<String, String>> lines =
        rows.apply(
                "ToJsonLines",
                MapElements.into(
                        TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
                    .via(row -> KV.of(folderOf.apply(row), TableRows.jsonLine(row))))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
            .apply("StampArrivalTime", ParDo.of(new StampArrivalTimeFn<KV<String, String>>(clock)))
            .apply(
                "WindowByArrival",
                Window.<KV<String, String>>into(FixedWindows.of(window))
                    // One file set when the window closes, then one per late row batch: late rows
                    // are written, never dropped. The early firing, a window's length of
                    // processing time after a pane's first row, writes rows even while the
                    // watermark stands still: Pub/Sub's watermark only moves when messages arrive,
                    // so on an idle subscription (a quiet local stack, a paused producer) the last
                    // window would otherwise wait for the next message to be written.
                    .triggering(
                        AfterWatermark.pastEndOfWindow()
                            .withEarlyFirings(
                                AfterProcessingTime.pastFirstElementInPane().plusDelayOf(window))
                            .withLateFirings(AfterPane.elementCountAtLeast(1)))
                    .withAllowedLateness(ALLOWED_LATENESS)
                    .discardingFiredPanes());
    if (checkpointed) {
      // A pane waits in the runner's state until its window closes, and Flink's heap state copies
      // a key's whole buffer the first time it is touched during each checkpoint and writes all of
      // it in each checkpoint: held as text, the last minute of lines was copied and checkpointed
      // every 2 s (11-12% of the local stack's CPU at 20,000 events/s, JFR). Compressed as they
      // are buffered, the same lines take about a tenth of the bytes; the file is the members
      // one after the other, which gzip readers (gzip, DuckDB, Java's GZIPInputStream) read as
      // one stream.
      lines
          .apply("CompressLinesPerBundle", ParDo.of(new CompressLinesPerBundleFn()))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of()))
          .apply("GroupBlocksPerFolder", GroupByKey.create())
          .apply("WriteBlockFiles", ParDo.of(new WritePaneFileFn(location, prefix)));
    } else {
      lines
          // The file writer groups its input: one element per folder, window and bundle instead
          // of one per row makes that grouping (whose buffer the DirectRunner copies on every
          // bundle) cheap; the text sink writes the joined lines as they are.
          .apply("JoinLinesPerBundle", ParDo.of(new JoinLinesPerBundleFn()))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
          .apply(
              "WriteJsonLines",
              FileIO.<String, KV<String, String>>writeDynamic()
                  .by(KV::getKey)
                  .withDestinationCoder(StringUtf8Coder.of())
                  .via(Contextful.fn(KV::getValue), TextIO.sink())
                  .to(location)
                  .withNaming(dir -> FileIO.Write.defaultNaming(dir + "/part-" + prefix, ".json"))
                  .withCompression(Compression.GZIP)
                  .withNumShards(shards));
    }
    return PDone.in(rows.getPipeline());
  }

  /**
   * Writes a pane of one folder as {@code FOLDER/part-RUN-START-END-PANE.json.gz}, through a
   * temporary file moved into place, so a reader never sees half a file and a pane written again
   * (replayed from a checkpoint) replaces its file with the same content. The pane's elements are
   * gzip members ({@link CompressLinesPerBundleFn}), written one after the other as they are.
   *
   * <p>{@code @RequiresStableInput}: the runner hands a pane over only once the checkpoint holding
   * it completed, and hands over the very same pane again if it restores that checkpoint. Together
   * with names made of the pane's own coordinates, each row lands in exactly one file.
   */
  static final class WritePaneFileFn extends DoFn<KV<String, Iterable<byte[]>>, Void> {
    private static final long serialVersionUID = 1L;
    private static final DateTimeFormatter WINDOW_TIME =
        DateTimeFormat.forPattern("yyyy-MM-dd'T'HH:mm:ss").withZoneUTC();

    private final String location;
    private final String runId;

    WritePaneFileFn(String location, String runId) {
      this.location = location;
      this.runId = runId;
    }

    @RequiresStableInput
    @ProcessElement
    public void processElement(
        @Element KV<String, Iterable<byte[]>> blocks, BoundedWindow window, PaneInfo pane)
        throws IOException {
      if (!blocks.getValue().iterator().hasNext()) {
        // The on-time pane after an early firing that took every row: no file to write.
        return;
      }
      String name =
          "part-" + runId + "-" + windowName(window) + "-pane-" + pane.getIndex() + ".json.gz";
      Path folder = Path.of(location).resolve(blocks.getKey());
      Files.createDirectories(folder);
      Path temporary = Files.createTempFile(folder, ".writing-", ".tmp");
      try {
        try (OutputStream out = Files.newOutputStream(temporary)) {
          for (byte[] block : blocks.getValue()) {
            out.write(block);
          }
        }
        Files.move(
            temporary,
            folder.resolve(name),
            StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temporary);
      }
    }

    private static String windowName(BoundedWindow window) {
      if (window instanceof IntervalWindow interval) {
        return WINDOW_TIME.print(interval.start()) + "-" + WINDOW_TIME.print(interval.end());
      }
      return WINDOW_TIME.print(window.maxTimestamp());
    }
  }

  /** Re-stamps each element with the time it reached the archive (never earlier than its own). */
  static final class StampArrivalTimeFn<T> extends DoFn<T, T> {
    private static final long serialVersionUID = 1L;

    private final Clock clock;

    StampArrivalTimeFn(Clock clock) {
      this.clock = clock;
    }

    @ProcessElement
    public void processElement(
        @Element T element, @Timestamp Instant timestamp, OutputReceiver<T> out) {
      Instant now = Instant.ofEpochMilli(clock.millis());
      out.outputWithTimestamp(element, now.isAfter(timestamp) ? now : timestamp);
    }
  }

  /**
   * Joins a bundle's lines per folder and window with newlines, emitting each join in its window at
   * its earliest line's timestamp when the bundle ends.
   */
  static final class JoinLinesPerBundleFn extends DoFn<KV<String, String>, KV<String, String>> {
    private static final long serialVersionUID = 1L;

    /** Lines of one folder in one window, and the earliest timestamp among them. */
    private static final class Lines {
      final StringBuilder text = new StringBuilder();
      Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    }

    private transient Map<BoundedWindow, Map<String, Lines>> pending;

    @StartBundle
    public void startBundle() {
      pending = new HashMap<>();
    }

    @ProcessElement
    public void processElement(
        @Element KV<String, String> line, @Timestamp Instant timestamp, BoundedWindow window) {
      Lines lines =
          pending
              .computeIfAbsent(window, w -> new HashMap<>())
              .computeIfAbsent(line.getKey(), folder -> new Lines());
      if (lines.text.length() > 0) {
        lines.text.append('\n');
      }
      lines.text.append(line.getValue());
      lines.earliest = timestamp.isBefore(lines.earliest) ? timestamp : lines.earliest;
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      pending.forEach(
          (window, folders) ->
              folders.forEach(
                  (folder, lines) ->
                      context.output(
                          KV.of(folder, lines.text.toString()), lines.earliest, window)));
      pending = new HashMap<>();
    }
  }

  /**
   * Compresses a bundle's lines per folder and window into one gzip member, each line ending in a
   * newline, and emits it in its window at its earliest line's timestamp when the bundle ends.
   * Lines go into the compressor as they come, so a bundle's text is never held whole.
   */
  static final class CompressLinesPerBundleFn extends DoFn<KV<String, String>, KV<String, byte[]>> {
    private static final long serialVersionUID = 1L;

    /** One gzip member being written, and the earliest timestamp among its lines. */
    private static final class Block {
      final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      final Writer text;
      Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;

      Block() {
        try {
          text =
              new OutputStreamWriter(
                  new GZIPOutputStream(bytes, 64 * 1024), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot start a gzip member in memory", e);
        }
      }
    }

    private transient Map<BoundedWindow, Map<String, Block>> pending;

    @StartBundle
    public void startBundle() {
      pending = new HashMap<>();
    }

    @ProcessElement
    public void processElement(
        @Element KV<String, String> line, @Timestamp Instant timestamp, BoundedWindow window)
        throws IOException {
      Block block =
          pending
              .computeIfAbsent(window, w -> new HashMap<>())
              .computeIfAbsent(line.getKey(), folder -> new Block());
      block.text.write(line.getValue());
      block.text.write('\n');
      block.earliest = timestamp.isBefore(block.earliest) ? timestamp : block.earliest;
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) throws IOException {
      for (Map.Entry<BoundedWindow, Map<String, Block>> window : pending.entrySet()) {
        for (Map.Entry<String, Block> folder : window.getValue().entrySet()) {
          Block block = folder.getValue();
          block.text.close(); // Ends the member (its trailer) and frees the compressor.
          context.output(
              KV.of(folder.getKey(), block.bytes.toByteArray()), block.earliest, window.getKey());
        }
      }
      pending = new HashMap<>();
    }

    @Teardown
    public void teardown() {
      // A bundle that failed leaves its compressors open: their native memory goes with them.
      if (pending != null) {
        for (Map<String, Block> folders : pending.values()) {
          for (Block block : folders.values()) {
            try {
              block.text.close();
            } catch (IOException e) {
              // In memory: nothing to report.
            }
          }
        }
      }
    }
  }
}
