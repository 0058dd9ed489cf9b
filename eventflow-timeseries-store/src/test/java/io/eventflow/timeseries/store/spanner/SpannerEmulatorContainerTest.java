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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.testcontainers.gcloud.SpannerEmulatorContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The Spanner adapters against Google's Spanner emulator in Docker, held to the {@link
 * IntervalStoreContract} every adapter keeps: the module's own DDL, real commits and real SQL,
 * which the in-process mock (it answers canned result sets) cannot check.
 *
 * <p>Needs a Docker daemon; without one JUnit reports the whole class as skipped (never failed),
 * and {@link SpannerIntervalStoreTest} / {@link SpannerIntervalWriterTest} still run.
 */
@Testcontainers(disabledWithoutDocker = true)
class SpannerEmulatorContainerTest extends IntervalStoreContract {
  /** Pinned so a new emulator release cannot change the result of an old commit's build. */
  private static final DockerImageName IMAGE =
      DockerImageName.parse("gcr.io/cloud-spanner-emulator/emulator:1.5.28");

  private static final String PROJECT = "eventflow-test";
  private static final InstanceId INSTANCE = InstanceId.of(PROJECT, "eventflow");

  /** Each test gets its own database, so tests neither see nor depend on each other's rows. */
  private static final AtomicInteger DATABASES = new AtomicInteger();

  @Container
  private static final SpannerEmulatorContainer EMULATOR = new SpannerEmulatorContainer(IMAGE);

  private static Spanner admin;

  private SpannerIntervalWriter writer;
  private SpannerIntervalStore store;

  @BeforeAll
  static void createInstance() throws Exception {
    admin = options().getService();
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

  @AfterAll
  static void closeAdmin() {
    admin.close();
  }

  @BeforeEach
  void createDatabase() throws Exception {
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
  }

  private static SpannerOptions options() {
    return SpannerOptions.newBuilder()
        .setProjectId(PROJECT)
        .setEmulatorHost(EMULATOR.getEmulatorGrpcEndpoint())
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
