package org.apache.beam.sdk.io.gcp.bigquery;

/**
 * Clears BigQueryIO's static caches between tests. BigQueryIO remembers which tables it created and
 * their schemas in statics, while {@code FakeDatasetService.setUp()} forgets the tables themselves;
 * without this a second test would write to a table the first one "created". The clearing method is
 * package-private, hence this class in Beam's package.
 */
public final class BigQueryTestCaches {
  private BigQueryTestCaches() {}

  /** Forgets every table and schema BigQueryIO cached. */
  public static void clear() throws Exception {
    BigQueryIO.clearStaticCaches();
  }
}
