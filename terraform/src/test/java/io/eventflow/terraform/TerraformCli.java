package io.eventflow.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs the {@code terraform} binary, where one is installed, for what needs no provider and no
 * network: {@code fmt -check} and {@code console} over configuration files that declare no
 * resources. (Everything else, even {@code validate}, needs {@code terraform init} to download the
 * google provider.)
 */
final class TerraformCli {
  /**
   * A bound on each run so a wedged binary fails the test instead of hanging the build; {@code
   * console} answers in well under a second.
   */
  private static final long TIMEOUT_SECONDS = 120;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path binary;

  private TerraformCli(Path binary) {
    this.binary = binary;
  }

  /** Finds {@code terraform} on the {@code PATH}. */
  static Optional<TerraformCli> find() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    return Pattern.compile(Pattern.quote(File.pathSeparator))
        .splitAsStream(path)
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, "terraform"))
        .filter(Files::isExecutable)
        .findFirst()
        .map(TerraformCli::new);
  }

  /**
   * The outcome of one run.
   *
   * @param exitCode the process exit status
   * @param stdout what it printed on standard output
   * @param stderr what it printed on standard error
   */
  record Result(int exitCode, String stdout, String stderr) {
    /** Returns standard output, failing with both streams if the run failed. */
    String stdoutIfSuccessful() {
      if (exitCode != 0) {
        throw new AssertionError("terraform exited with " + exitCode + ":\n" + stderr + stdout);
      }
      return stdout;
    }
  }

  /** Runs terraform with arguments in a working directory, feeding {@code stdin}. */
  Result run(Path workDir, List<String> args, String stdin) {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    Map<String, String> env = builder.environment();
    // No update check against checkpoint-api.hashicorp.com (the build has no network), no colors,
    // and no user CLI configuration (a missing one only produces a warning, but noise).
    env.put("CHECKPOINT_DISABLE", "1");
    env.put("TF_IN_AUTOMATION", "1");
    env.put("NO_COLOR", "1");
    try {
      Path config = Files.createTempFile("terraformrc", "");
      env.put("TF_CLI_CONFIG_FILE", config.toString());
      Path out = Files.createTempFile("terraform", ".out");
      Path err = Files.createTempFile("terraform", ".err");
      Path in = Files.createTempFile("terraform", ".in");
      Files.writeString(in, stdin, StandardCharsets.UTF_8);
      builder.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(in.toFile());
      Process process = builder.start();
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(
            "terraform " + args + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
      Result result =
          new Result(
              process.exitValue(),
              Files.readString(out, StandardCharsets.UTF_8),
              Files.readString(err, StandardCharsets.UTF_8));
      for (Path p : List.of(config, out, err, in)) {
        Files.delete(p);
      }
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Evaluates an expression with {@code terraform console} in {@code workDir} and returns its value
   * as JSON.
   *
   * @param vars {@code -var} assignments, e.g. {@code project_id=demo}
   */
  JsonNode evaluate(Path workDir, List<String> vars, String expression) {
    List<String> args = new ArrayList<>();
    args.add("console");
    for (String var : vars) {
      args.add("-var");
      args.add(var);
    }
    String printed =
        run(workDir, args, "jsonencode(" + expression + ")\n").stdoutIfSuccessful().strip();
    try {
      // console prints the JSON text as a quoted string literal: unquote it, then parse it.
      return JSON.readTree(JSON.readTree(printed).asText());
    } catch (IOException e) {
      throw new AssertionError("terraform console printed " + printed, e);
    }
  }
}
