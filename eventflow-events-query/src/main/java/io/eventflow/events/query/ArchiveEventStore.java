package io.eventflow.events.query;

import io.eventflow.events.query.GeneratedSql.Parameter;
import io.eventflow.events.query.GeneratedSql.Parameters;
import io.eventflow.events.query.GeneratedSql.Type;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.duckdb.DuckDBDriver;

/**
 * The archive the ingest job writes ({@code ArchiveEvents}: gzip JSON lines under {@code
 * valid/dt=YYYY-MM-DD/type=TYPE/}, one line per events-table row), queried in place by an
 * in-process DuckDB. Only the files of the query's type and UTC dates are read.
 */
public final class ArchiveEventStore implements EventStore {
  /** The value columns of an archived attribute, by name, with their DuckDB types. */
  private static final String[][] VALUE_COLUMNS = {
    {"bool_value", "BOOLEAN"},
    {"int_value", "BIGINT"},
    {"float_value", "DOUBLE"},
    {"string_value", "VARCHAR"},
    {"bytes_value", "VARCHAR"},
    {"timestamp_value", "VARCHAR"},
    {"duration_micros", "BIGINT"}
  };

  private final Path archive;
  private Connection connection;

  private ArchiveEventStore(Path archive) {
    this.archive = archive;
  }

  /**
   * Opens the archive of a local stack's data directory ({@code DIR/warehouse}, as {@code eventflow
   * local} writes it).
   *
   * @throws NoSuchFileException if the directory has no warehouse
   */
  public static ArchiveEventStore ofDataDir(Path dataDir) throws NoSuchFileException {
    return of(dataDir.resolve("warehouse"));
  }

  /**
   * Opens an archive directory (the ingest job's {@code --archiveLocation}).
   *
   * @throws NoSuchFileException if it is not a directory
   */
  public static ArchiveEventStore of(Path archive) throws NoSuchFileException {
    if (!Files.isDirectory(archive)) {
      throw new NoSuchFileException(
          archive + " (no archive there: run eventflow local, or name its --data-dir)");
    }
    return new ArchiveEventStore(archive);
  }

  @Override
  public SqlDialect dialect() {
    return SqlDialect.DUCKDB;
  }

  @Override
  public Source source(EventQuery query, Parameters parameters) throws IOException {
    List<String> files = files(query.type(), query.start(), query.end());
    String sql =
        "read_json("
            + parameters.add(Type.ARRAY_STRING, files)
            + ", format = 'newline_delimited', columns = "
            + columns(query)
            + ")";
    return new Source(sql, files.isEmpty());
  }

  /**
   * Returns the columns of an archived events row the query reads, declared rather than sampled:
   * DuckDB then parses only those (a sample over a million rows costs about a third less CPU
   * without the attribute values it does not read), and a file whose first rows lack a column
   * (customer) reads the same. A listing reads every column.
   */
  static String columns(EventQuery query) {
    Set<String> read = new HashSet<>(Set.of("timestamp", "type", "int_value", "float_value"));
    if (!query.isSample()) {
      read.addAll(Field.COLUMNS);
      Arrays.stream(VALUE_COLUMNS).forEach(c -> read.add(c[0]));
    }
    query
        .filter()
        .ifPresent(
            where -> {
              for (Condition.Comparison c : where.comparisons()) {
                read.add(
                    c.field().isColumn()
                        ? c.field().name()
                        : c.literal() instanceof String
                            ? "string_value"
                            : c.literal() instanceof Boolean ? "bool_value" : "int_value");
              }
            });
    StringBuilder columns = new StringBuilder("{");
    for (String column : Field.COLUMNS) {
      if (read.contains(column)) {
        columns.append(column).append(": 'VARCHAR', ");
      }
    }
    columns.append("timestamp: 'TIMESTAMPTZ', attributes: 'STRUCT(key VARCHAR");
    for (String[] value : VALUE_COLUMNS) {
      if (read.contains(value[0])) {
        columns.append(", ").append(value[0]).append(' ').append(value[1]);
      }
    }
    return columns.append(")[]'}").toString();
  }

  /**
   * Returns the archive files that can hold events of {@code type} in {@code [start, end)}: those
   * in the type's folder of each UTC date the range touches (the folders are by event date).
   */
  List<String> files(String type, Instant start, Instant end) throws IOException {
    Path valid = archive.resolve("valid");
    if (!Files.isDirectory(valid)) {
      return List.of();
    }
    LocalDate first = LocalDate.ofInstant(start, ZoneOffset.UTC);
    LocalDate last = LocalDate.ofInstant(end.minusNanos(1), ZoneOffset.UTC);
    // The writer percent-encodes the type in the folder name.
    String typeFolder = "type=" + URLEncoder.encode(type, StandardCharsets.UTF_8);
    List<String> files = new ArrayList<>();
    try (Stream<Path> dates = Files.list(valid)) {
      for (Path dateFolder : dates.sorted().toList()) {
        LocalDate date = folderDate(dateFolder);
        if (date == null || date.isBefore(first) || date.isAfter(last)) {
          continue;
        }
        Path folder = dateFolder.resolve(typeFolder);
        if (!Files.isDirectory(folder)) {
          continue;
        }
        try (Stream<Path> parts = Files.list(folder)) {
          // Only whole files: a writer moves a finished file into place under its final name;
          // temporary files start with a dot.
          parts
              .filter(f -> f.getFileName().toString().endsWith(".gz"))
              .filter(f -> !f.getFileName().toString().startsWith("."))
              .filter(Files::isRegularFile)
              .sorted()
              .forEach(f -> files.add(f.toString()));
        }
      }
    }
    return files;
  }

  private static LocalDate folderDate(Path folder) {
    String name = folder.getFileName().toString();
    if (!name.startsWith("dt=")) {
      return null;
    }
    try {
      return LocalDate.parse(name.substring(3));
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  @Override
  public List<Object[]> execute(GeneratedSql sql) throws IOException {
    if (sql.nothingToRead()) {
      return List.of();
    }
    try {
      Connection c = connection();
      try (PreparedStatement statement = c.prepareStatement(sql.text())) {
        List<Parameter> parameters = sql.parameters();
        for (int i = 0; i < parameters.size(); i++) {
          bind(c, statement, i + 1, parameters.get(i));
        }
        List<Object[]> rows = new ArrayList<>();
        try (ResultSet result = statement.executeQuery()) {
          int n = result.getMetaData().getColumnCount();
          while (result.next()) {
            Object[] row = new Object[n];
            for (int j = 0; j < n; j++) {
              row[j] = plain(result.getObject(j + 1));
            }
            rows.add(row);
          }
        }
        return rows;
      }
    } catch (SQLException e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage().strip();
      throw new IOException("reading the archive under " + archive + " failed: " + message, e);
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      // In memory: the archive is read where it lies, nothing is stored beside it. The driver is
      // named rather than looked up, which a shaded jar's merged service files could hide.
      connection = new DuckDBDriver().connect("jdbc:duckdb:", new Properties());
    }
    return connection;
  }

  private static void bind(Connection c, PreparedStatement statement, int index, Parameter p)
      throws SQLException {
    switch (p.type()) {
      case STRING -> statement.setString(index, (String) p.value());
      case FLOAT64 -> statement.setDouble(index, (Double) p.value());
      case BOOL -> statement.setBoolean(index, (Boolean) p.value());
      case TIMESTAMP -> statement.setObject(index, ((Instant) p.value()).atOffset(ZoneOffset.UTC));
      case ARRAY_INT64 -> {
        long[] values = (long[]) p.value();
        Long[] boxed = new Long[values.length];
        for (int i = 0; i < values.length; i++) {
          boxed[i] = values[i];
        }
        statement.setArray(index, c.createArrayOf("BIGINT", boxed));
      }
      case ARRAY_STRING ->
          statement.setArray(index, c.createArrayOf("VARCHAR", ((List<?>) p.value()).toArray()));
    }
  }

  /** Returns a JDBC value as one of the plain types {@link EventStore#execute} promises. */
  private static Object plain(Object value) {
    if (value instanceof Integer i) {
      return i.longValue();
    }
    if (value instanceof BigInteger big) {
      return big.longValueExact();
    }
    if (value instanceof BigDecimal decimal) {
      return decimal.doubleValue();
    }
    if (value instanceof Float f) {
      return f.doubleValue();
    }
    return value;
  }

  @Override
  public void close() throws IOException {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        throw new IOException("closing DuckDB: " + e.getMessage(), e);
      }
      connection = null;
    }
  }
}
