package io.eventflow.cli;

import io.eventflow.common.Entities;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.api.EntityClient;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow entities load}: upserts the entities of a JSON-lines file, one batch at a time.
 * Every line is accounted for: loaded, or rejected with its number and the rule it breaks; the good
 * lines are loaded even when others are rejected.
 */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Inserts or replaces (whole) the entities of --file, one proto3 JSON object per line, e.g."
          + " {\"kind\":\"customer\",\"key\":\"acme\",\"attributes\":{\"plan\":{\"stringValue\":"
          + "\"gold\"}}}.",
      "Lines that are no valid entity are listed with their numbers and reasons (exit code 3);"
          + " the other lines are still loaded. Blank lines are skipped. Loading is an upsert:"
          + " running it again with the same file is safe.",
    })
final class EntitiesLoadCommand implements Callable<Integer> {
  private final CliContext context;

  @Mixin EntityTableOptions table;

  @Option(
      names = "--file",
      required = true,
      paramLabel = "FILE",
      description = "The entities, one JSON object per line; - reads standard input.")
  String file;

  @Spec CommandSpec spec;

  EntitiesLoadCommand(CliContext context) {
    this.context = context;
  }

  /** A line that was not loaded, and why. */
  private record Rejected(long line, String reason) {}

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    List<Rejected> rejected = new ArrayList<>();
    long[] loaded = {0};
    String where =
        table.run(
            context.environment(),
            t -> {
              try (InputStream in = open()) {
                load(in, t, rejected, loaded);
              } catch (RuntimeException e) {
                // The failed batch and later lines are not loaded; earlier batches are.
                PrintWriter err = spec.commandLine().getErr();
                err.println(
                    spec.qualifiedName()
                        + ": "
                        + entities(loaded[0])
                        + " loaded before the failure below; loading again is safe");
                err.flush();
                throw e;
              }
              return t.describe();
            });
    out.println("loaded " + entities(loaded[0]) + " into " + where);
    if (!rejected.isEmpty()) {
      out.println("rejected " + PublishCommand.plural(rejected.size(), "line") + ":");
      for (Rejected r : rejected) {
        out.println("  line " + r.line() + ": " + r.reason());
      }
    }
    out.flush();
    return rejected.isEmpty() ? 0 : EventflowCommand.EXIT_REJECTED;
  }

  /** Reads every line, sending the good ones in batches of the service's request limit. */
  private static void load(
      InputStream in, EntityTableOptions.Table table, List<Rejected> rejected, long[] loaded)
      throws IOException {
    LineReader lines = new LineReader(in);
    List<Entity> batch = new ArrayList<>();
    long number = 0;
    for (byte[] line = lines.next(); line != null; line = lines.next()) {
      number++;
      if (lines.tooLong()) {
        rejected.add(
            new Rejected(
                number,
                "line is "
                    + lines.lastLength()
                    + " bytes, longer than the "
                    + lines.maxLineBytes()
                    + " an entity line may have"));
        continue;
      }
      if (LineReader.isBlank(line)) {
        continue;
      }
      try {
        batch.add(Entities.parse(utf8(line)));
      } catch (IllegalArgumentException e) {
        rejected.add(new Rejected(number, e.getMessage()));
        continue;
      }
      if (batch.size() == EntityClient.MAX_ENTITIES_PER_REQUEST) {
        loaded[0] += table.upsert(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      loaded[0] += table.upsert(batch);
    }
  }

  private static String entities(long count) {
    return count + (count == 1 ? " entity" : " entities");
  }

  private static String utf8(byte[] line) {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(line)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("not UTF-8 text", e);
    }
  }

  private InputStream open() throws IOException {
    if (file.equals("-")) {
      // Closing the input must not close the process's stdin for later commands.
      return new FilterInputStream(context.stdin()) {
        @Override
        public void close() {}
      };
    }
    return Files.newInputStream(Path.of(file));
  }
}
