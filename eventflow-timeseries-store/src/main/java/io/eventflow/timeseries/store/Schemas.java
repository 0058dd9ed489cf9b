package io.eventflow.timeseries.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The DDL of both stores, read from the one resource file each keeps it in. */
public final class Schemas {
  /** The classpath resource holding the Spanner DDL (also read by Terraform). */
  public static final String SPANNER_RESOURCE = "/io/eventflow/timeseries/store/spanner-schema.sql";

  /** The classpath resource holding the embedded H2 DDL. */
  public static final String H2_RESOURCE = "/io/eventflow/timeseries/store/h2-schema.sql";

  private Schemas() {}

  /** Returns the Spanner DDL statements, without comments or terminators. */
  public static List<String> spannerDdl() {
    return statements(SPANNER_RESOURCE);
  }

  /** Returns the H2 DDL statements, without comments or terminators. */
  public static List<String> h2Ddl() {
    return statements(H2_RESOURCE);
  }

  /** Splits a DDL resource into statements: drops {@code --} comment lines, splits on {@code ;}. */
  static List<String> statements(String resource) {
    String text;
    try (InputStream in = Schemas.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
    StringBuilder withoutComments = new StringBuilder(text.length());
    for (String line : text.split("\n", -1)) {
      if (!line.strip().startsWith("--")) {
        withoutComments.append(line).append('\n');
      }
    }
    List<String> statements = new ArrayList<>();
    for (String statement : withoutComments.toString().split(";", -1)) {
      if (!statement.isBlank()) {
        statements.add(statement.strip());
      }
    }
    return List.copyOf(statements);
  }
}
