package io.eventflow.terraform;

import com.bertramlabs.plugins.hcl4j.HCLParser;
import com.bertramlabs.plugins.hcl4j.HCLParserException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The root Terraform configuration of this directory, parsed with hcl4j: every {@code .tf} file,
 * its blocks by kind ({@code resource}, {@code variable}, {@code output}, {@code locals}, ...), and
 * every path a {@code file()} call reads.
 *
 * <p>hcl4j evaluates expressions as it parses, but it knows no Terraform state: a reference such as
 * {@code google_pubsub_topic.events.id} or {@code var.region} comes back as its own text, which is
 * what the checks compare against. Each file is parsed on its own so that references never resolve
 * to another file's values.
 */
final class TerraformConfig {
  /** hcl4j renders {@code ${path.module}} inside a string as this text. */
  private static final String PATH_MODULE = "path.module/";

  private final Path directory;
  private final Map<String, String> sources;
  private final Map<String, Map<String, Object>> files;
  private final List<FileRead> fileReads;

  private TerraformConfig(
      Path directory,
      Map<String, String> sources,
      Map<String, Map<String, Object>> files,
      List<FileRead> fileReads) {
    this.directory = directory;
    this.sources = sources;
    this.files = files;
    this.fileReads = fileReads;
  }

  /**
   * One {@code file()} call.
   *
   * @param tfFile the {@code .tf} file holding the call
   * @param argument the argument as hcl4j evaluated it, e.g. {@code path.module/../x.json}
   * @param resolved the file Terraform reads, or null if the argument is not module-relative
   */
  record FileRead(String tfFile, String argument, Path resolved) {}

  /** Parses every {@code .tf} file of a directory (not its subdirectories, like Terraform). */
  static TerraformConfig load(Path directory) {
    Path dir = directory.toAbsolutePath().normalize();
    Map<String, String> sources = new TreeMap<>();
    Map<String, Map<String, Object>> files = new TreeMap<>();
    List<FileRead> reads = new ArrayList<>();
    try (Stream<Path> list = Files.list(dir)) {
      for (Path tf : list.filter(p -> p.getFileName().toString().endsWith(".tf")).toList()) {
        String name = tf.getFileName().toString();
        String text = Files.readString(tf, StandardCharsets.UTF_8);
        sources.put(name, text);
        files.put(name, parse(dir, name, text, reads));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new TerraformConfig(dir, sources, files, List.copyOf(reads));
  }

  /** A top-level variable block of a canonically formatted file (terraform fmt). */
  private static final Pattern VARIABLE_BLOCK =
      Pattern.compile("(?ms)^variable \"[^\"]+\" \\{\\n.*?^\\}\\n");

  private static Map<String, Object> parse(
      Path dir, String name, String text, List<FileRead> reads) {
    // hcl4j resolves var.X to the default of a variable declared in the same text (and to null if
    // the text declares others but not X). A file that declares variables and also uses them
    // (monitoring.tf) is therefore parsed apart from its declarations, so that a reference stays
    // its own text there too, as in every other file.
    Matcher declarations = VARIABLE_BLOCK.matcher(text);
    StringBuilder variables = new StringBuilder();
    while (declarations.find()) {
      variables.append(declarations.group()).append('\n');
    }
    String rest = declarations.replaceAll("");
    if (variables.isEmpty() || rest.isBlank()) {
      return parseText(dir, name, text, reads);
    }
    Map<String, Object> blocks = parseText(dir, name, rest, reads);
    blocks.put("variable", parseText(dir, name, variables.toString(), reads).get("variable"));
    return blocks;
  }

  private static Map<String, Object> parseText(
      Path dir, String name, String text, List<FileRead> reads) {
    HCLParser parser = new HCLParser();
    // Record every file() call and answer with the real contents, as Terraform would.
    parser.registerFunction(
        "file",
        args -> {
          String argument = String.valueOf(args.get(0));
          Path resolved =
              argument.startsWith(PATH_MODULE)
                  ? dir.resolve(argument.substring(PATH_MODULE.length())).normalize()
                  : null;
          reads.add(new FileRead(name, argument, resolved));
          try {
            return resolved != null && Files.isRegularFile(resolved)
                ? Files.readString(resolved, StandardCharsets.UTF_8)
                : null;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    // hcl4j has no toset(); a set of strings is all this configuration builds with it.
    parser.registerFunction("toset", args -> args.get(0));
    // hcl4j traces its expression evaluation on System.out; keep the test log readable.
    PrintStream out = System.out;
    System.setOut(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
    try {
      return cast(normalize(parser.parse(text)));
    } catch (HCLParserException | IOException e) {
      throw new IllegalStateException(name + " does not parse: " + e.getMessage(), e);
    } finally {
      System.setOut(out);
    }
  }

  /**
   * Returns a parsed value with every reference hcl4j could not resolve (its own symbol objects)
   * replaced by the reference's text, so values compare as plain strings, numbers and booleans.
   */
  private static Object normalize(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), normalize(v)));
      return copy;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>();
      list.forEach(v -> copy.add(normalize(v)));
      return copy;
    }
    if (value == null
        || value instanceof String
        || value instanceof Number
        || value instanceof Boolean) {
      return value;
    }
    return value.toString();
  }

  /** The directory holding the configuration. */
  Path directory() {
    return directory;
  }

  /** The text of each {@code .tf} file by file name. */
  Map<String, String> sources() {
    return sources;
  }

  /** The parsed blocks of each {@code .tf} file by file name. */
  Map<String, Map<String, Object>> files() {
    return files;
  }

  /** Every {@code file()} call of the configuration. */
  List<FileRead> fileReads() {
    return fileReads;
  }

  /**
   * Returns the blocks of one kind from all files, by label: e.g. {@code variable} gives variable
   * name to attributes, {@code resource} gives resource type to (name to attributes).
   *
   * @throws IllegalStateException if two files define the same label
   */
  Map<String, Object> blocks(String kind) {
    Map<String, Object> all = new TreeMap<>();
    files.forEach(
        (file, blocks) -> {
          Object ofKind = blocks.get(kind);
          if (ofKind instanceof Map<?, ?> map) {
            map.forEach(
                (label, body) -> {
                  String key = String.valueOf(label);
                  if (kind.equals("resource") && all.get(key) instanceof Map<?, ?> existing) {
                    // Resources of one type may be spread over several files.
                    Map<String, Object> merged = new TreeMap<>(cast(existing));
                    cast(body)
                        .forEach(
                            (n, b) -> {
                              if (merged.put(n, b) != null) {
                                throw new IllegalStateException(
                                    "duplicate resource " + key + "." + n);
                              }
                            });
                    all.put(key, merged);
                  } else if (all.put(key, body) != null) {
                    throw new IllegalStateException(
                        "duplicate " + kind + " " + key + " in " + file);
                  }
                });
          }
        });
    return all;
  }

  /** Returns every resource by address ({@code type.name}). */
  Map<String, Map<String, Object>> resources() {
    Map<String, Map<String, Object>> byAddress = new TreeMap<>();
    blocks("resource")
        .forEach(
            (type, byName) ->
                cast(byName).forEach((name, body) -> byAddress.put(type + "." + name, cast(body))));
    return byAddress;
  }

  /** Returns the resource at an address ({@code type.name}). */
  Map<String, Object> resource(String address) {
    Map<String, Object> resource = resources().get(address);
    if (resource == null) {
      throw new AssertionError("no resource " + address);
    }
    return resource;
  }

  /** Returns each variable's attributes by name. */
  Map<String, Map<String, Object>> variables() {
    Map<String, Map<String, Object>> variables = new LinkedHashMap<>();
    blocks("variable").forEach((name, body) -> variables.put(name, cast(body)));
    return variables;
  }

  /** Returns each output's attributes by name. */
  Map<String, Map<String, Object>> outputs() {
    Map<String, Map<String, Object>> outputs = new LinkedHashMap<>();
    blocks("output").forEach((name, body) -> outputs.put(name, cast(body)));
    return outputs;
  }

  /**
   * A role granted to a member on a target, as written in the configuration (a for_each value
   * substituted where the resource uses {@code each.value}).
   *
   * @param resource the address of the {@code *_iam_member} resource
   * @param role the role granted
   * @param member who is granted it
   * @param target what it is granted on: a project, topic, secret, service...
   */
  record Grant(String resource, String role, String member, String target) {
    @Override
    public String toString() {
      return role + " on " + target;
    }
  }

  /** The attributes naming what an {@code *_iam_member} resource grants on, in order of lookup. */
  private static final List<String> TARGET_ATTRIBUTES =
      List.of(
          "project",
          "bucket",
          "topic",
          "subscription",
          "dataset_id",
          "database",
          "name",
          "service_account_id",
          "secret_id");

  /**
   * Every {@code *_iam_member} resource as grants, for_each expanded where its values are written
   * out.
   */
  List<Grant> grants() {
    List<Grant> grants = new ArrayList<>();
    resources()
        .forEach(
            (address, body) -> {
              if (!address.contains("_iam_member.")) {
                return;
              }
              String target =
                  TARGET_ATTRIBUTES.stream()
                      .filter(body::containsKey)
                      .map(a -> String.valueOf(body.get(a)))
                      .findFirst()
                      .orElseThrow(() -> new AssertionError("no target in " + address));
              String role = String.valueOf(body.get("role"));
              String member = String.valueOf(body.get("member"));
              List<String> values = forEachValues(address, body.get("for_each"));
              if (values.isEmpty()) {
                grants.add(new Grant(address, role, member, target));
              }
              for (String value : values) {
                grants.add(
                    new Grant(
                        address,
                        role.replace("each.value", value),
                        member.replace("each.value", value),
                        target.replace("each.value", value)));
              }
            });
    return grants;
  }

  /** Every grant to one member, as "ROLE on TARGET". */
  Set<String> grantsOf(String member) {
    Set<String> roles = new TreeSet<>();
    for (Grant grant : grants()) {
      if (grant.member().equals(member)) {
        roles.add(grant.toString());
      }
    }
    return roles;
  }

  /**
   * The values a for_each iterates, where written out (a map or list literal); otherwise one
   * symbolic value, "each of EXPRESSION", with the expression as written in the source.
   */
  private List<String> forEachValues(String address, Object forEach) {
    if (forEach instanceof Map<?, ?> map) {
      return map.values().stream().map(String::valueOf).toList();
    }
    if (forEach instanceof List<?> list) {
      return list.stream().map(String::valueOf).toList();
    }
    int dot = address.indexOf('.');
    Pattern block =
        Pattern.compile(
            "resource \""
                + address.substring(0, dot)
                + "\" \""
                + address.substring(dot + 1)
                + "\" \\{\\s*for_each = ([^\\n]+)\\n");
    for (String text : sources.values()) {
      Matcher m = block.matcher(text);
      if (m.find()) {
        return List.of("each of " + m.group(1).strip());
      }
    }
    return List.of();
  }

  /**
   * Returns a nested block or blocks as a list: hcl4j gives one block as a map and repeated blocks
   * as a list of maps.
   */
  static List<Map<String, Object>> nested(Map<String, Object> body, String block) {
    Object value = body.get(block);
    if (value == null) {
      return List.of();
    }
    if (value instanceof List<?> list) {
      return list.stream().map(TerraformConfig::cast).toList();
    }
    return List.of(cast(value));
  }

  /** Returns the one nested block of a kind, failing if there is none or several. */
  static Map<String, Object> single(Map<String, Object> body, String block) {
    List<Map<String, Object>> blocks = nested(body, block);
    if (blocks.size() != 1) {
      throw new AssertionError("expected one " + block + " block, found " + blocks.size());
    }
    return blocks.get(0);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> cast(Object value) {
    if (!(value instanceof Map<?, ?>)) {
      throw new AssertionError("expected a block, found " + value);
    }
    return (Map<String, Object>) value;
  }
}
