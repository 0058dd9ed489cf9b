package io.eventflow.timeseries.store.spanner;

import com.google.cloud.NoCredentials;
import com.google.cloud.spanner.DatabaseId;
import com.google.cloud.spanner.InstanceConfigId;
import com.google.cloud.spanner.InstanceId;
import com.google.cloud.spanner.InstanceInfo;
import com.google.cloud.spanner.Spanner;
import com.google.cloud.spanner.SpannerOptions;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.IntervalStoreContract;
import io.eventflow.timeseries.store.IntervalWriter;
import io.eventflow.timeseries.store.Schemas;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The Spanner adapters against Google's Spanner emulator, held to the {@link IntervalStoreContract}
 * every adapter keeps: the module's own DDL, real commits and real SQL, which the in-process mock
 * (it answers canned result sets to the statements a test registers, and stores no mutation) cannot
 * check, so the contract does not run against the mock. Each test gets a database of its own on an
 * instance created once per emulator. A subclass says which emulator: {@link
 * SpannerEmulatorProcessTest} the emulator binary as a child process, {@link
 * SpannerEmulatorContainerTest} its Docker image.
 */
abstract class SpannerEmulatorContract extends IntervalStoreContract {
  private static final String PROJECT = "eventflow-test";
  private static final InstanceId INSTANCE = InstanceId.of(PROJECT, "eventflow");

  /** Each test gets its own database, so tests neither see nor depend on each other's rows. */
  private static final AtomicInteger DATABASES = new AtomicInteger();

  /** The emulators (host:port) on which the instance exists. */
  private static final Set<String> INSTANCES = ConcurrentHashMap.newKeySet();

  private Spanner admin;
  private SpannerIntervalWriter writer;
  private SpannerIntervalStore store;

  /** Returns the {@code host:port} of the emulator's gRPC endpoint. */
  protected abstract String emulatorHost();

  @BeforeEach
  void createDatabase() throws Exception {
    admin = options().getService();
    if (INSTANCES.add(emulatorHost())) {
      admin
          .getInstanceAdminClient()
          .createInstance(
              InstanceInfo.newBuilder(INSTANCE)
                  .setInstanceConfigId(InstanceConfigId.of(PROJECT, "emulator-config"))
                  .setDisplayName("eventflow")
                  .setNodeCount(1)
                  .build())
          .get(60, TimeUnit.SECONDS);
    }
    DatabaseId database = DatabaseId.of(INSTANCE, "intervals-" + DATABASES.incrementAndGet());
    admin
        .getDatabaseAdminClient()
        .createDatabase(INSTANCE.getInstance(), database.getDatabase(), Schemas.spannerDdl())
        .get(60, TimeUnit.SECONDS);
    writer = SpannerIntervalWriter.open(options(), database);
    // Strong reads: a bounded-staleness read may legitimately miss rows committed a moment ago,
    // and these tests read right after writing. Staleness itself is checked on the mock.
    store = SpannerIntervalStore.open(options(), database, Duration.ZERO);
  }

  @AfterEach
  void close() {
    store.close();
    writer.close();
    admin.close();
  }

  private SpannerOptions options() {
    return SpannerOptions.newBuilder()
        .setProjectId(PROJECT)
        .setEmulatorHost(emulatorHost())
        .setCredentials(NoCredentials.getInstance())
        .build();
  }

  @Override
  protected IntervalStore store() {
    return store;
  }

  @Override
  protected IntervalWriter writer() {
    return writer;
  }

  /**
   * More than one commit: each commit is accepted by Spanner's real 80,000-mutation limit (the mock
   * only counts mutations; the emulator enforces the limit).
   */
  @Override
  protected int rowsBeyondOneBatch() {
    return SpannerIntervalWriter.MAX_ROWS_PER_COMMIT + 5;
  }
}
