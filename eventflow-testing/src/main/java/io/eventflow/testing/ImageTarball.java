package io.eventflow.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * A container image as {@code jib:buildTar} writes it, read without Docker: Docker's {@code docker
 * save} format, a tar holding {@code manifest.json}, the image configuration (JSON) and one
 * gzip-compressed tar per layer. It gives the configuration (entrypoint, user, ports, labels), can
 * unpack the layers in order into a directory, and can run the image's entrypoint there with the
 * host's {@code java} in place of the image's.
 */
public final class ImageTarball {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path tarball;
  private final List<String> repoTags;
  private final List<String> layers;
  private final JsonNode configuration;

  private ImageTarball(
      Path tarball, List<String> repoTags, List<String> layers, JsonNode configuration) {
    this.tarball = tarball;
    this.repoTags = repoTags;
    this.layers = layers;
    this.configuration = configuration;
  }

  /**
   * Reads the manifest and configuration of the one image in {@code tarball}.
   *
   * @throws IOException if it is no readable image tarball, or holds more or less than one image
   */
  public static ImageTarball open(Path tarball) throws IOException {
    if (!Files.isRegularFile(tarball)) {
      throw new IOException(
          tarball.toAbsolutePath()
              + " does not exist: the module's `package` phase builds it (jib:buildTar), unless"
              + " -DskipTests");
    }
    try (TarFile tar = new TarFile(tarball)) {
      JsonNode manifests = JSON.readTree(read(tar, "manifest.json"));
      if (!manifests.isArray() || manifests.size() != 1) {
        throw new IOException(tarball + ": manifest.json lists " + manifests.size() + " images");
      }
      JsonNode manifest = manifests.get(0);
      List<String> layers = strings(manifest.get("Layers"));
      for (String layer : layers) {
        entry(tar, layer);
      }
      return new ImageTarball(
          tarball,
          strings(manifest.get("RepoTags")),
          layers,
          JSON.readTree(read(tar, manifest.get("Config").asText())));
    }
  }

  /** The image's names, e.g. {@code eventflow-collector:0.1.0-SNAPSHOT-offline}. */
  public List<String> repoTags() {
    return repoTags;
  }

  /** The names of the layer files in the tarball, base first. */
  public List<String> layers() {
    return layers;
  }

  /** {@code os/architecture}, e.g. {@code linux/amd64}. */
  public String platform() {
    return configuration.path("os").asText() + "/" + configuration.path("architecture").asText();
  }

  /** The command the container runs (the configuration's {@code Entrypoint}). */
  public List<String> entrypoint() {
    return strings(config().get("Entrypoint"));
  }

  /** The default arguments after the entrypoint (the configuration's {@code Cmd}). */
  public List<String> cmd() {
    return strings(config().get("Cmd"));
  }

  /** The user the container runs as, e.g. {@code 1000:1000}; empty means root. */
  public String user() {
    return config().path("User").asText("");
  }

  /** The exposed ports, e.g. {@code [8080/tcp]}. */
  public Set<String> exposedPorts() {
    Set<String> ports = new TreeSet<>();
    config().path("ExposedPorts").properties().forEach(port -> ports.add(port.getKey()));
    return ports;
  }

  /** The image's labels. */
  public Map<String, String> labels() {
    Map<String, String> labels = new LinkedHashMap<>();
    config()
        .path("Labels")
        .properties()
        .forEach(label -> labels.put(label.getKey(), label.getValue().asText()));
    return labels;
  }

  /** The environment the image sets, in order. */
  public Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : strings(config().get("Env"))) {
      int eq = line.indexOf('=');
      env.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return env;
  }

  /**
   * Unpacks every layer, base first, into {@code dir} (directories and regular files; a layer with
   * whiteouts, links or device files is refused, since Jib writes none).
   *
   * @return the unpacked root, {@code dir} as an absolute path
   */
  public Path extract(Path dir) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    Files.createDirectories(root);
    try (TarFile tar = new TarFile(tarball)) {
      for (String layer : layers) {
        try (InputStream gzip = tar.getInputStream(entry(tar, layer));
            TarArchiveInputStream files = new TarArchiveInputStream(new GZIPInputStream(gzip))) {
          for (TarArchiveEntry file = files.getNextEntry();
              file != null;
              file = files.getNextEntry()) {
            unpack(root, layer, file, files);
          }
        }
      }
    }
    return root;
  }

  private static void unpack(Path root, String layer, TarArchiveEntry file, InputStream content)
      throws IOException {
    Path target = root.resolve(file.getName().replaceFirst("^/+", "")).normalize();
    if (!target.startsWith(root) || file.getName().contains(".wh.")) {
      throw new IOException(layer + ": unexpected entry " + file.getName());
    }
    if (file.isDirectory()) {
      Files.createDirectories(target);
    } else if (file.isFile()) {
      Files.createDirectories(target.getParent());
      Files.copy(content, target, StandardCopyOption.REPLACE_EXISTING);
    } else {
      throw new IOException(layer + ": " + file.getName() + " is neither a file nor a directory");
    }
  }

  /**
   * The image's entrypoint followed by {@code args} as a command for this machine, for an image
   * unpacked into {@code root}: {@code java} becomes the host's (the test's) java, and every
   * {@code @argfile} of the entrypoint is rewritten next to {@code root} with its absolute paths
   * moved under {@code root}. The argfiles and every jar they name must be in the unpacked layers.
   *
   * @throws IllegalStateException if the entrypoint is not {@code java ...}, or names an argfile or
   *     a classpath jar that no layer holds
   */
  public List<String> hostCommand(Path root, String... args) throws IOException {
    List<String> entrypoint = entrypoint();
    if (entrypoint.isEmpty() || !entrypoint.get(0).equals("java")) {
      throw new IllegalStateException("the entrypoint does not start with java: " + entrypoint);
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : entrypoint.subList(1, entrypoint.size())) {
      command.add(arg.startsWith("@/") ? "@" + hostArgfile(root, arg.substring(1)) : arg);
    }
    command.addAll(cmd().isEmpty() || args.length > 0 ? List.of(args) : cmd());
    return command;
  }

  private static Path hostArgfile(Path root, String imagePath) throws IOException {
    Path argfile = underRoot(root, imagePath, true);
    StringBuilder rewritten = new StringBuilder();
    for (String token : Files.readString(argfile, StandardCharsets.UTF_8).trim().split("\\s+")) {
      List<String> entries = new ArrayList<>();
      for (String entry : token.split(":", -1)) {
        // A directory the module has nothing for (no resources) may be absent: java skips it.
        boolean required = entry.endsWith(".jar");
        entries.add(entry.startsWith("/") ? underRoot(root, entry, required).toString() : entry);
      }
      rewritten.append(String.join(":", entries)).append('\n');
    }
    Path host =
        root.resolveSibling(root.getFileName() + "-host-" + argfile.getFileName().toString());
    Files.writeString(host, rewritten, StandardCharsets.UTF_8);
    return host;
  }

  private static Path underRoot(Path root, String imagePath, boolean required) {
    Path path = root.resolve(imagePath.substring(1)).normalize();
    if (!path.startsWith(root) || (required && !Files.exists(path))) {
      throw new IllegalStateException(
          "the entrypoint names " + imagePath + ", which no layer of the image holds");
    }
    return path;
  }

  /**
   * A process for the image's entrypoint and {@code args} ({@link #hostCommand}), with the image's
   * environment (but this machine's {@code PATH} and {@code JAVA_HOME}) and {@code root} as its
   * working directory.
   */
  public ProcessBuilder processBuilder(Path root, String... args) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(hostCommand(root, args)).directory(root.toFile());
    environment()
        .forEach(
            (name, value) -> {
              if (!name.equals("PATH") && !name.equals("JAVA_HOME")) {
                builder.environment().put(name, value);
              }
            });
    return builder;
  }

  /** What a finished process printed and its exit code. */
  public record Finished(int exitCode, String out, String err) {}

  /**
   * Runs the image's entrypoint with {@code args} ({@link #processBuilder}) to its end.
   *
   * @throws AssertionError if it has not ended within {@code bound} (a bound for a hang, not a
   *     timing check); it is killed then
   */
  public Finished run(Path root, Duration bound, String... args)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(root.getParent(), "out", ".txt");
    Path err = Files.createTempFile(root.getParent(), "err", ".txt");
    Process process =
        processBuilder(root, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    process.getOutputStream().close(); // no input: a command reading stdin sees its end
    if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError(
          "the image's entrypoint with "
              + List.of(args)
              + " did not end within "
              + bound.toSeconds()
              + " s; stderr: "
              + Files.readString(err));
    }
    return new Finished(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  private JsonNode config() {
    return configuration.path("config");
  }

  private static List<String> strings(JsonNode array) {
    List<String> strings = new ArrayList<>();
    if (array != null) {
      for (Iterator<JsonNode> it = array.elements(); it.hasNext(); ) {
        strings.add(it.next().asText());
      }
    }
    return strings;
  }

  private static TarArchiveEntry entry(TarFile tar, String name) throws IOException {
    for (TarArchiveEntry entry : tar.getEntries()) {
      if (entry.getName().equals(name)) {
        return entry;
      }
    }
    throw new IOException("the image tarball has no " + name);
  }

  private static byte[] read(TarFile tar, String name) throws IOException {
    try (InputStream in = tar.getInputStream(entry(tar, name))) {
      return in.readAllBytes();
    }
  }
}
