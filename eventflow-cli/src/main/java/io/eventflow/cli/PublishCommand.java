package io.eventflow.cli;

import static com.google.common.util.concurrent.MoreExecutors.directExecutor;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import io.eventflow.common.EventJson;
import io.eventflow.common.EventJsonException;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.publisher.EventPublisher;
import io.eventflow.publisher.InvalidEventException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow publish}: publishes newline-delimited proto3 JSON events, one per line, and
 * accounts for every line: published, rejected (with its line number and reason) or failed.
 */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Publishes newline-delimited proto3 JSON events (one event per line) from stdin or a file.",
      "Events keep the id, timestamp and source they have, so history can be backfilled; missing"
          + " ids and timestamps are generated. Lines that are not valid events are rejected,"
          + " listed with their line numbers and reasons, and the rest are still published.",
    })
final class PublishCommand implements Callable<Integer> {
  private final CliContext context;

  @Mixin PublisherOptions target;

  @Option(
      names = "--file",
      paramLabel = "PATH",
      description = "Read events from PATH instead of stdin; - is stdin.")
  String file;

  @Option(
      names = "--source",
      paramLabel = "SOURCE",
      description = "Source of events that have none. Default: none; such lines are rejected.")
  String source = "";

  @Option(
      names = "--max-line-bytes",
      paramLabel = "BYTES",
      description =
          "Longest input line in bytes; a longer line is rejected with its number and skipped"
              + " without being held in memory. Default: ${DEFAULT-VALUE} (1 MiB).")
  int maxLineBytes = LineReader.DEFAULT_MAX_LINE_BYTES;

  @Spec CommandSpec spec;

  PublishCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    if (maxLineBytes <= 0) {
      throw new ParameterException(
          spec.commandLine(), "--max-line-bytes must be positive, got " + maxLineBytes);
    }
    Tally tally = new Tally();
    String topic;
    try (InputStream in = open();
        EventPublisher publisher = target.newPublisher(context).defaultSource(source).build()) {
      topic = publisher.topic().toString();
      LineReader lines = new LineReader(in, maxLineBytes);
      long number = 0;
      for (byte[] line = lines.next(); line != null; line = lines.next()) {
        number++;
        if (lines.tooLong()) {
          tally.rejected(
              number,
              InvalidReason.PAYLOAD_TOO_LARGE.name(),
              "line is "
                  + lines.lastLength()
                  + " bytes, longer than the --max-line-bytes limit of "
                  + lines.maxLineBytes());
        } else if (!LineReader.isBlank(line)) {
          publish(publisher, line, number, tally);
        }
      }
      publisher.flush();
      tally.awaitAnswers();
    }
    return report(tally, topic, spec.commandLine().getOut());
  }

  private InputStream open() throws java.io.IOException {
    if (file == null || file.equals("-")) {
      // Closing the publisher's input must not close the process's stdin for later commands.
      return new java.io.FilterInputStream(context.stdin()) {
        @Override
        public void close() {}
      };
    }
    return Files.newInputStream(Path.of(file));
  }

  private static void publish(EventPublisher publisher, byte[] line, long number, Tally tally) {
    Event event;
    try {
      event = EventJson.parse(line);
    } catch (EventJsonException e) {
      tally.rejected(number, InvalidReason.MALFORMED_JSON.name(), e.getMessage());
      return;
    }
    ApiFuture<String> published;
    try {
      published = publisher.publish(event);
    } catch (InvalidEventException e) {
      tally.rejected(number, e.violation().reason().name(), e.violation().message());
      return;
    }
    tally.sent();
    ApiFutures.addCallback(
        published,
        new ApiFutureCallback<String>() {
          @Override
          public void onSuccess(String id) {
            tally.published();
          }

          @Override
          public void onFailure(Throwable t) {
            tally.failed(number, Errors.describe(t));
          }
        },
        directExecutor());
  }

  private static int report(Tally tally, String topic, PrintWriter out) {
    out.println("published " + plural(tally.published, "event") + " to " + topic);
    if (!tally.rejected.isEmpty()) {
      out.println("rejected " + plural(tally.rejected.size(), "line") + ":");
      tally.rejected.sort(Comparator.comparingLong(Problem::line));
      for (Problem p : tally.rejected) {
        out.println("  line " + p.line() + ": " + p.reason());
      }
    }
    if (!tally.failed.isEmpty()) {
      out.println("failed to publish " + plural(tally.failed.size(), "line") + ":");
      for (Map.Entry<String, List<Long>> e : tally.failuresByReason().entrySet()) {
        out.println("  " + lineRanges(e.getValue()) + ": " + e.getKey());
      }
    }
    out.flush();
    if (!tally.failed.isEmpty()) {
      return EventflowCommand.EXIT_ERROR;
    }
    return tally.rejected.isEmpty() ? 0 : EventflowCommand.EXIT_REJECTED;
  }

  static String plural(long count, String noun) {
    return count + " " + noun + (count == 1 ? "" : "s");
  }

  /** Writes sorted line numbers compactly: {@code lines 1-3, 7}. */
  private static String lineRanges(List<Long> lines) {
    StringBuilder out = new StringBuilder(lines.size() == 1 ? "line " : "lines ");
    int i = 0;
    while (i < lines.size()) {
      int j = i;
      while (j + 1 < lines.size() && lines.get(j + 1) == lines.get(j) + 1) {
        j++;
      }
      if (i > 0) {
        out.append(", ");
      }
      out.append(lines.get(i));
      if (j > i) {
        out.append('-').append(lines.get(j));
      }
      i = j + 1;
    }
    return out.toString();
  }

  /** A line that was not published, and why. */
  private record Problem(long line, String reason) {}

  /**
   * Counts outcomes. Rejections come from the reading thread, answers from the client's threads;
   * {@link #awaitAnswers} waits until every sent event's callback has run.
   */
  private static final class Tally {
    // Guarded by this.
    private long pending;
    private long published;
    private final List<Problem> rejected = new ArrayList<>();
    private final List<Problem> failed = new ArrayList<>();

    synchronized void sent() {
      pending++;
    }

    synchronized void published() {
      published++;
      answered();
    }

    synchronized void failed(long line, String reason) {
      failed.add(new Problem(line, reason));
      answered();
    }

    synchronized void rejected(long line, String code, String message) {
      rejected.add(new Problem(line, code + ": " + message));
    }

    private void answered() {
      if (--pending == 0) {
        notifyAll();
      }
    }

    synchronized void awaitAnswers() throws InterruptedException {
      while (pending > 0) {
        wait();
      }
    }

    /** Groups failed lines by reason, reasons in order of their first line. */
    synchronized Map<String, List<Long>> failuresByReason() {
      failed.sort(Comparator.comparingLong(Problem::line));
      Map<String, List<Long>> byReason = new LinkedHashMap<>();
      for (Problem p : failed) {
        byReason.computeIfAbsent(p.reason(), r -> new ArrayList<>()).add(p.line());
      }
      return byReason;
    }
  }
}
