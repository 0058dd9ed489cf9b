package io.eventflow.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Reads what the archive writers (ingest's events and dead letters, the rollups' intervals) leave
 * on disk: gzip-compressed JSON-lines files, {@code *.json.gz}, in folders by table and time.
 */
public final class ArchiveFiles {
  private ArchiveFiles() {}

  /**
   * Returns the lines (one JSON row each) of every {@code *.json.gz} file under {@code dir}, by the
   * file's path, in path order; empty where {@code dir} does not exist (nothing was written yet).
   */
  public static SortedMap<Path, List<String>> jsonLines(Path dir) throws IOException {
    SortedMap<Path, List<String>> files = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return files;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path file : walk.filter(f -> f.toString().endsWith(".json.gz")).toList()) {
        try (BufferedReader reader =
            new BufferedReader(
                new InputStreamReader(
                    new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
          List<String> lines = new ArrayList<>();
          for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lines.add(line);
          }
          files.put(file, lines);
        }
      }
    }
    return files;
  }
}
