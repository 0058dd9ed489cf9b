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
   * Writes into {@code sandbox} the part of the configuration {@code terraform console} can
   * evaluate without a provider: the variables, the names and launch commands (locals.tf, jobs.tf,
   * which reference no resource by design), and the top-level locals blocks of the files listed in
   * {@code localsOf}. {@code ${path.module}} in those blocks becomes the configuration's own
   * directory, so their file() calls read the same files as in place.
   */
  static Path sandbox(TerraformConfig config, Path sandbox, List<String> localsOf) {
    try {
      for (String file : List.of("variables.tf", "locals.tf", "jobs.tf")) {
        Files.writeString(
            sandbox.resolve(file), config.sources().get(file), StandardCharsets.UTF_8);
      }
      for (String file : localsOf) {
        String locals =
            String.join("\n", topLevelBlocks(config.sources().get(file), "locals {"))
                .replace("${path.module}", config.directory().toString());
        Files.writeString(sandbox.resolve("locals_of_" + file), locals, StandardCharsets.UTF_8);
      }
      return sandbox;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns the top-level blocks of a canonically formatted file (terraform fmt) whose first line
   * is {@code header}: from that line to the next line that is just "}".
   */
  static List<String> topLevelBlocks(String text, String header) {
    List<String> blocks = new ArrayList<>();
    StringBuilder block = null;
    for (String line : text.split("\n", -1)) {
      if (block == null && line.equals(header)) {
        block = new StringBuilder();
      }
      if (block != null) {
        block.append(line).append('\n');
        if (line.equals("}")) {
          blocks.add(block.toString());
          block = null;
        }
      }
    }
    return blocks;
  }

  /**
   * Evaluates an expression with {@code terraform console} in {@code workDir} and returns its value
   * as JSON, failing if terraform reported any problem (such as a failed variable validation).
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
    Result result = run(workDir, args, "jsonencode(" + expression + ")\n");
    // console reports failed variable validations on stderr but still evaluates and exits 0.
    if (!result.stderr().isBlank()) {
      throw new AssertionError("terraform console reported problems:\n" + result.stderr());
    }
    String printed = result.stdoutIfSuccessful().strip();
    try {
      // console prints the JSON text as a quoted string literal: unquote it, then parse it.
      return JSON.readTree(JSON.readTree(printed).asText());
    } catch (IOException e) {
      throw new AssertionError("terraform console printed " + printed, e);
    }
  }
}
