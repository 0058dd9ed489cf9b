package io.eventflow.cli;

import com.google.common.base.Ticker;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine;

/**
 * Runs {@code eventflow} in-process through picocli, as {@link Main} would, with captured output
 * and a fixed world: an empty environment unless given, the given stdin, a clock fixed at {@link
 * #NOW}, a ticker that advances one second per reading, and seed 7 when none is passed.
 */
final class CliRunner {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  private final Map<String, String> environment = new HashMap<>();
  private String stdin = "";

  /** Sets an environment variable the command sees. */
  CliRunner env(String name, String value) {
    environment.put(name, value);
    return this;
  }

  /** Sets what the command reads from stdin. */
  CliRunner stdin(String text) {
    this.stdin = text;
    return this;
  }

  /** What a run printed and returned. */
  record Result(int exitCode, String out, String err) {}

  /** Runs {@code eventflow args...}. */
  Result run(String... args) {
    Ticker secondsTicker =
        new Ticker() {
          private long nanos;

          @Override
          public synchronized long read() {
            nanos += 1_000_000_000L;
            return nanos;
          }
        };
    CliContext context =
        new CliContext(
            environment::get,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            Clock.fixed(NOW, ZoneOffset.UTC),
            secondsTicker,
            () -> 7L,
            hook -> () -> {});
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    // The entry Main uses: series and publish run under the quick root, as in the real command.
    CommandLine commandLine = EventflowCommand.commandLine(context, args);
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exitCode = commandLine.execute(args);
    return new Result(exitCode, out.toString(), err.toString());
  }
}
