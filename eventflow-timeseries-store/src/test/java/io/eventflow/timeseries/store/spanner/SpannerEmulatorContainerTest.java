package io.eventflow.timeseries.store.spanner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.NoCredentials;
import com.google.cloud.spanner.DatabaseId;
import com.google.cloud.spanner.InstanceConfigId;
import com.google.cloud.spanner.InstanceId;
import com.google.cloud.spanner.InstanceInfo;
import com.google.cloud.spanner.Spanner;
import com.google.cloud.spanner.SpannerOptions;
import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.IntervalRows;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.Schemas;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.SeriesPage;
import io.eventflow.timeseries.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.gcloud.SpannerEmulatorContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The Spanner adapters against Google's Spanner emulator in Docker: the module's own DDL, real
 * commits and real SQL, which the in-process mock (it answers canned result sets) cannot check.
 *
 * <p>Needs a Docker daemon; without one JUnit reports the whole class as skipped (never failed),
 * and {@link SpannerIntervalStoreTest} / {@link SpannerIntervalWriterTest} still run.
 */
@Testcontainers(disabledWithoutDocker = true)
class SpannerEmulatorContainerTest {
  /** Pinned so a new emulator release cannot change the result of an old commit's build. */
  private static final DockerImageName IMAGE =
      DockerImageName.parse("gcr.io/cloud-spanner-emulator/emulator:1.5.28");

  private static final String PROJECT = "eventflow-test";
  private static final InstanceId INSTANCE = InstanceId.of(PROJECT, "eventflow");
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

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

  /** Several rows of one interval (one per pane) come back in interval order, none combined. */
  @Test
  void writtenRowsReadBackInIntervalOrder() throws StoreException {
    writer.write(
        List.of(
            row("purchase.count", Resolution.MINUTE, T0.plusSeconds(120), 7, 3, 3),
            row("purchase.count", Resolution.MINUTE, T0, 1, 2, 2),
            row("purchase.count", Resolution.MINUTE, T0, 2, 5, 5)));

    IntervalRows rows =
        store.readIntervals("purchase.count", Resolution.MINUTE, T0, T0.plusSeconds(600));

    assertThat(starts(rows))
        .containsExactly(T0.getEpochSecond(), T0.getEpochSecond(), T0.getEpochSecond() + 120);
    assertThat(rows.value(0) + rows.value(1)).isEqualTo(7.0);
    assertThat(rows.value(2)).isEqualTo(3.0);
    assertThat(rows.eventCount(2)).isEqualTo(3);
    assertThat(rows.readTimestamp()).isNotNull();
  }

  /** A retried write of the same pane (same key) replaces the row instead of adding one. */
  @Test
  void rewritingARowReplacesIt() throws StoreException {
    IntervalRow first = row("purchase.amount.sum", Resolution.MINUTE, T0, 42, 10.5, 2);
    writer.write(List.of(first));
    writer.write(List.of(first));
    writer.write(List.of(row("purchase.amount.sum", Resolution.MINUTE, T0, 42, 11.5, 3)));

    IntervalRows rows =
        store.readIntervals("purchase.amount.sum", Resolution.MINUTE, T0, T0.plusSeconds(60));

    assertThat(rows.size()).isEqualTo(1);
    assertThat(rows.value(0)).isEqualTo(11.5);
    assertThat(rows.eventCount(0)).isEqualTo(3);
  }

  /** The range is {@code [start, end)}, also when its ends fall between interval starts. */
  @Test
  void rangeIsStartInclusiveEndExclusive() throws StoreException {
    List<IntervalRow> minutes = new ArrayList<>();
    for (int m = 0; m < 10; m++) {
      minutes.add(row("a.count", Resolution.MINUTE, T0.plusSeconds(60L * m), 1, m, 1));
    }
    writer.write(minutes);

    assertThat(
            starts(
                store.readIntervals(
                    "a.count", Resolution.MINUTE, T0.plusSeconds(120), T0.plusSeconds(300))))
        .containsExactly(
            T0.getEpochSecond() + 120, T0.getEpochSecond() + 180, T0.getEpochSecond() + 240);
    assertThat(
            starts(
                store.readIntervals(
                    "a.count", Resolution.MINUTE, T0.plusSeconds(61), T0.plusMillis(180_500))))
        .containsExactly(T0.getEpochSecond() + 120, T0.getEpochSecond() + 180);
  }

  /** Another resolution or another series of the same key prefix is never read. */
  @Test
  void resolutionsAndSeriesAreSeparate() throws StoreException {
    writer.write(
        List.of(
            row("a.count", Resolution.MINUTE, T0, 1, 1, 1),
            row("a.count", Resolution.QUARTER_HOUR, T0, 1, 9, 9),
            row("a.countx", Resolution.QUARTER_HOUR, T0, 1, 4, 4)));

    IntervalRows quarter =
        store.readIntervals("a.count", Resolution.QUARTER_HOUR, T0, T0.plusSeconds(900));

    assertThat(quarter.size()).isEqualTo(1);
    assertThat(quarter.value(0)).isEqualTo(9.0);
    assertThat(store.readIntervals("c.count", Resolution.MINUTE, T0, T0.plusSeconds(3600)).size())
        .isZero();
  }

  /**
   * A write larger than one commit is split, and each commit is accepted by Spanner's real
   * 80,000-mutation limit (the mock only counts mutations; the emulator enforces the limit).
   */
  @Test
  void writeLargerThanOneCommitIsAcceptedWhole() throws StoreException {
    int n = SpannerIntervalWriter.MAX_ROWS_PER_COMMIT + 5;
    writer.write(
        IntStream.range(0, n)
            .mapToObj(i -> row("big.count", Resolution.MINUTE, T0.plusSeconds(60L * i), 1, i, 1))
            .collect(Collectors.toList()));

    IntervalRows read =
        store.readIntervals("big.count", Resolution.MINUTE, T0, T0.plusSeconds(60L * n));

    assertThat(read.size()).isEqualTo(n);
    assertThat(read.intervalStart(n - 1)).isEqualTo(T0.getEpochSecond() + 60L * (n - 1));
    assertThat(read.value(n - 1)).isEqualTo(n - 1.0);
  }

  /** Catalog merges only widen first/last seen, whatever order the updates arrive in. */
  @Test
  void catalogMergeWidensFirstAndLastSeen() throws StoreException {
    Instant later = T0.plusSeconds(3600);
    writer.mergeCatalog(List.of(new SeriesInfo("a.x.max", AggregateFunction.MAX, T0, T0)));
    writer.mergeCatalog(List.of(new SeriesInfo("a.x.max", AggregateFunction.MAX, later, later)));
    writer.mergeCatalog(
        List.of(
            new SeriesInfo(
                "a.x.max", AggregateFunction.MAX, T0.plusSeconds(60), T0.plusSeconds(120)),
            new SeriesInfo(
                "a.x.max", AggregateFunction.MAX, T0.minusSeconds(60), T0.minusSeconds(60)),
            new SeriesInfo("b.count", AggregateFunction.SUM, T0, T0)));

    assertThat(store.series("a.x.max"))
        .contains(new SeriesInfo("a.x.max", AggregateFunction.MAX, T0.minusSeconds(60), later));
    assertThat(store.series("b.count"))
        .contains(new SeriesInfo("b.count", AggregateFunction.SUM, T0, T0));
    assertThat(store.series("a.y.max")).isEmpty();
  }

  /** Listing pages through one prefix in name order; the last page carries no token. */
  @Test
  void listingPagesThroughAPrefixInNameOrder() throws StoreException {
    List<SeriesInfo> entries = new ArrayList<>();
    for (String name :
        List.of(
            "purchase.count",
            "purchase.acme.count",
            "purchase.zeta.count",
            "refund.count",
            "purchase.b%C3%A4r.count",
            "purchasex.count")) {
      entries.add(new SeriesInfo(name, AggregateFunction.SUM, T0, T0));
    }
    writer.mergeCatalog(entries);

    SeriesPage first = store.listSeries("purchase.", 2, "");
    assertThat(names(first)).containsExactly("purchase.acme.count", "purchase.b%C3%A4r.count");
    assertThat(first.nextPageToken()).isNotEmpty();

    SeriesPage second = store.listSeries("purchase.", 2, first.nextPageToken());
    assertThat(names(second)).containsExactly("purchase.count", "purchase.zeta.count");
    assertThat(second.nextPageToken()).isEmpty();

    SeriesPage exact = store.listSeries("purchase.", 4, "");
    assertThat(exact.series()).hasSize(4);
    assertThat(exact.nextPageToken()).isEmpty();

    assertThat(names(store.listSeries("", 100, ""))).hasSize(6);
  }

  /** A prefix is literal: {@code _} and {@code %} are not wildcards. */
  @Test
  void wildcardCharactersInAPrefixMatchLiterally() throws StoreException {
    writer.mergeCatalog(
        List.of(
            new SeriesInfo("a_b.count", AggregateFunction.SUM, T0, T0),
            new SeriesInfo("axb.count", AggregateFunction.SUM, T0, T0),
            new SeriesInfo("a%25.count", AggregateFunction.SUM, T0, T0)));

    assertThat(names(store.listSeries("a_", 10, ""))).containsExactly("a_b.count");
    assertThat(names(store.listSeries("a%", 10, ""))).containsExactly("a%25.count");
  }

  /** A token from another prefix's listing is refused, not silently reinterpreted. */
  @Test
  void pageTokenOfAnotherPrefixIsRejected() throws StoreException {
    writer.mergeCatalog(
        List.of(
            new SeriesInfo("a.count", AggregateFunction.SUM, T0, T0),
            new SeriesInfo("a.x.sum", AggregateFunction.SUM, T0, T0)));
    String token = store.listSeries("a.", 1, "").nextPageToken();

    assertThatThrownBy(() -> store.listSeries("b.", 1, token))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static IntervalRow row(
      String series, Resolution resolution, Instant start, long rowId, double value, long count) {
    return new IntervalRow(series, resolution, start, rowId, value, count);
  }

  private static List<Long> starts(IntervalRows rows) {
    List<Long> starts = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      starts.add(rows.intervalStart(i));
    }
    return starts;
  }

  private static List<String> names(SeriesPage page) {
    return page.series().stream().map(SeriesInfo::name).collect(Collectors.toList());
  }
}
