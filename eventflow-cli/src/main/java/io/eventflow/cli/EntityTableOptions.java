package io.eventflow.cli;

import com.google.cloud.NoCredentials;
import com.google.cloud.spanner.DatabaseId;
import com.google.cloud.spanner.SpannerOptions;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.api.EntityClient;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.spanner.SpannerEntityStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Where the {@code entities} commands read and write: the query service's {@code EntityService}
 * ({@code --server}, a running {@code eventflow local} by default) or the entities table of a
 * Spanner database directly ({@code --spanner}).
 */
final class EntityTableOptions {
  @Mixin QueryServerOptions server;

  @Option(
      names = "--spanner",
      paramLabel = "DATABASE",
      description =
          "Read and write the entities table of this Spanner database directly,"
              + " projects/PROJECT/instances/INSTANCE/databases/DATABASE, instead of through"
              + " --server (application default credentials; $SPANNER_EMULATOR_HOST for the"
              + " emulator).")
  String spanner;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  /** The table as the commands see it; failures are unchecked exceptions with a one-line text. */
  interface Table {
    /** Inserts or replaces the entities; returns how many were written. */
    int upsert(List<Entity> entities);

    /** Reads one entity, empty when there is none. */
    Optional<Entity> get(String kind, String key);

    /** Names the table in messages: the server's address or the database. */
    String describe();
  }

  /** What a command does with the table. */
  interface Work<T> {
    T run(Table table) throws IOException;
  }

  /**
   * Opens the table the flags name, runs {@code work} on it and closes it.
   *
   * @throws ParameterException for {@code --server} with {@code --spanner}, or a malformed database
   */
  <T> T run(Function<String, String> environment, Work<T> work) throws IOException {
    if (spanner == null) {
      return server.call(
          EntityClient::new,
          client -> {
            try {
              return work.run(overServer(client));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    }
    if (command.commandLine().getParseResult().hasMatchedOption("--server")) {
      throw new ParameterException(
          command.commandLine(), "--server and --spanner are mutually exclusive");
    }
    DatabaseId database;
    try {
      database = DatabaseId.of(spanner);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(
          command.commandLine(),
          "--spanner must be projects/PROJECT/instances/INSTANCE/databases/DATABASE, got '"
              + spanner
              + "'");
    }
    SpannerOptions.Builder options =
        SpannerOptions.newBuilder().setProjectId(database.getInstanceId().getProject());
    String emulator = environment.apply("SPANNER_EMULATOR_HOST");
    if (emulator != null && !emulator.isBlank()) {
      // The emulator takes no credentials, and the client must not go looking for any.
      options.setEmulatorHost(emulator).setCredentials(NoCredentials.getInstance());
    }
    try (SpannerEntityStore store = SpannerEntityStore.open(options.build(), database)) {
      return work.run(inSpanner(store, database));
    }
  }

  private Table overServer(EntityClient client) {
    String target = server.server;
    return new Table() {
      @Override
      public int upsert(List<Entity> entities) {
        return client.upsert(entities);
      }

      @Override
      public Optional<Entity> get(String kind, String key) {
        return client.get(kind, key);
      }

      @Override
      public String describe() {
        return "the query service at " + target;
      }
    };
  }

  private static Table inSpanner(SpannerEntityStore store, DatabaseId database) {
    return new Table() {
      @Override
      public int upsert(List<Entity> entities) {
        try {
          store.upsert(entities);
          return entities.size();
        } catch (StoreException e) {
          throw unchecked(e);
        }
      }

      @Override
      public Optional<Entity> get(String kind, String key) {
        try {
          Map<String, Entity> found = store.read(kind, List.of(key));
          return Optional.ofNullable(found.get(key));
        } catch (StoreException e) {
          throw unchecked(e);
        }
      }

      @Override
      public String describe() {
        return "Spanner database " + database.getName();
      }
    };
  }

  /** The store's message with Spanner's reason after it, for the one line the user reads. */
  private static IllegalStateException unchecked(StoreException e) {
    String reason = e.getCause() == null ? "" : ": " + Errors.describe(e.getCause());
    return new IllegalStateException(e.getMessage() + reason, e);
  }
}
