package io.eventflow.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.common.MessageAttributes;
import io.eventflow.testing.ArchiveFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the local stack's warehouse as a user's tools would: every {@code *.json.gz} file under
 * {@code valid/} (the archive) and {@code invalid/} (the dead letters). Files appear whole (they
 * are moved into place), so a file that cannot be read is an error, not a file being written.
 */
final class Warehouse {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path root;

  Warehouse(Path root) {
    this.root = root;
  }

  /** The id of every archived row, repeats included. */
  List<String> validIds() {
    List<String> ids = new ArrayList<>();
    for (JsonNode row : rows("valid")) {
      ids.add(row.get("id").asText());
    }
    return ids;
  }

  /** The reason of every dead letter. */
  Set<String> invalidReasons() {
    Set<String> reasons = new HashSet<>();
    for (JsonNode row : rows("invalid")) {
      reasons.add(row.get("reason").asText());
    }
    return reasons;
  }

  /**
   * How many dead letters carry each value of the {@code event.id} attribute; a dead letter
   * repeated under the same Pub/Sub message id counts twice.
   */
  Map<String, Integer> invalidMarkers() {
    Map<String, Integer> markers = new HashMap<>();
    for (JsonNode row : rows("invalid")) {
      for (JsonNode attribute : row.get("attributes")) {
        if (attribute.get("key").asText().equals(MessageAttributes.ID)) {
          markers.merge(attribute.get("value").asText(), 1, Integer::sum);
        }
      }
    }
    return markers;
  }

  /** The rows of every file under {@code folder}. */
  List<JsonNode> rows(String folder) {
    Path dir = root.resolve(folder);
    List<JsonNode> rows = new ArrayList<>();
    try {
      for (List<String> lines : ArchiveFiles.jsonLines(dir).values()) {
        for (String line : lines) {
          rows.add(JSON.readTree(line));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the warehouse under " + dir, e);
    }
    return rows;
  }
}
