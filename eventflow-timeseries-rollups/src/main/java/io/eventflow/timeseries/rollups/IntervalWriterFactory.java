package io.eventflow.timeseries.rollups;

import com.google.cloud.NoCredentials;
import com.google.cloud.spanner.DatabaseId;
import com.google.cloud.spanner.SpannerOptions;
import io.eventflow.timeseries.store.IntervalWriter;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalWriter;
import io.eventflow.timeseries.store.spanner.SpannerIntervalWriter;
import java.io.Serializable;

/** Opens the store's writer on a worker; serializable so DoFns can carry it. */
@FunctionalInterface
public interface IntervalWriterFactory extends Serializable {
  /**
   * Opens a writer; the caller closes it.
   *
   * @throws StoreException if the store cannot be reached
   */
  IntervalWriter open() throws StoreException;

  /** Returns a factory for the embedded H2 store at a {@code jdbc:h2:} URL. */
  static IntervalWriterFactory jdbc(String url) {
    return () -> JdbcIntervalWriter.open(url);
  }

  /** Returns a factory for a Spanner database (through the emulator if its host is set). */
  static IntervalWriterFactory spanner(SpannerTarget target) {
    return () -> {
      SpannerOptions.Builder options = SpannerOptions.newBuilder().setProjectId(target.project());
      if (!target.emulatorHost().isEmpty()) {
        options.setEmulatorHost(target.emulatorHost()).setCredentials(NoCredentials.getInstance());
      }
      return SpannerIntervalWriter.open(
          options.build(), DatabaseId.of(target.project(), target.instance(), target.database()));
    };
  }

  /**
   * A Spanner database.
   *
   * @param project the GCP project
   * @param instance the Spanner instance
   * @param database the database holding the tables of {@code spanner-schema.sql}
   * @param emulatorHost host:port of a Spanner emulator, or empty for Cloud Spanner
   */
  record SpannerTarget(String project, String instance, String database, String emulatorHost)
      implements Serializable {
    private static final long serialVersionUID = 1L;
  }
}
