package io.eventflow.collector;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The API keys the collector accepts, each deciding the {@code source} of the events sent with it.
 * The file holds only SHA-256 hashes, so neither a leaked file nor a heap dump reveals a key:
 *
 * <pre>
 * # SHA-256 of the key (hex)                                        source
 * 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 web-shop
 * </pre>
 *
 * <p>{@code eventflow collector hash-key KEY} prints a key's line. On Cloud Run the file is a
 * Secret Manager secret mounted as a volume. Keys are random strings of at least 128 bits, so an
 * unsalted hash is as strong as the key (no dictionary to try).
 */
public final class ApiKeys {
  private static final Pattern LINE = Pattern.compile("([0-9a-fA-F]{64})\\s+(\\S+)");

  private final Map<String, String> sourceByHash;

  private ApiKeys(Map<String, String> sourceByHash) {
    this.sourceByHash = Map.copyOf(sourceByHash);
  }

  /**
   * Reads a key file.
   *
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException naming the first bad line, or when the file has no key
   */
  public static ApiKeys load(Path file) throws IOException {
    return parse(file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  /**
   * Parses key lines ({@code HASH SOURCE}; blank lines and {@code #} comments are skipped).
   *
   * @param name where the lines come from, for messages
   * @throws IllegalArgumentException naming the first bad line, or when there is no key
   */
  public static ApiKeys parse(String name, List<String> lines) {
    Map<String, String> sources = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      var matcher = LINE.matcher(line);
      if (!matcher.matches()) {
        throw new IllegalArgumentException(
            name
                + " line "
                + (i + 1)
                + ": expected a 64-digit SHA-256 hex hash and a source, got \""
                + line
                + "\"");
      }
      sources.put(matcher.group(1).toLowerCase(java.util.Locale.ROOT), matcher.group(2));
    }
    if (sources.isEmpty()) {
      throw new IllegalArgumentException(name + " holds no API key");
    }
    return new ApiKeys(sources);
  }

  /** Returns the SHA-256 hex of a key: what its line in the file starts with. */
  public static String hash(String key) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Returns the source a key decides, or empty for an unknown key. */
  public Optional<String> sourceOf(String key) {
    return Optional.ofNullable(sourceByHash.get(hash(key)));
  }

  /** Returns how many keys there are. */
  public int size() {
    return sourceByHash.size();
  }
}
