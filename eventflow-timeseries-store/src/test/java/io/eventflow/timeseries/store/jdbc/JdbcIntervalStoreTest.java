package io.eventflow.timeseries.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.IntervalRows;
import io.eventflow.timeseries.store.ReadLimits;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.RowLimitException;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.SeriesPage;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.StoreTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded store, written and read back through its real database file. */
class JdbcIntervalStoreTest {
  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

  @TempDir Path dir;
  private String url;
  private JdbcIntervalWriter writer;
  private JdbcIntervalStore store;

  @BeforeEach
  void open() throws StoreException {
    url = "jdbc:h2:file:" + dir.resolve("intervals");
    writer = JdbcIntervalWriter.open(url);
    store = JdbcIntervalStore.open(url, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void close() {
    store.close();
    writer.close();
  }

  @Test
  void writtenRowsReadBackInIntervalOrder() throws StoreException {
    writer.write(
        List.of(
            row("purchase.count", Resolution.MINUTE, T0.plusSeconds(120), 7, 3, 3),
            row("purchase.count", Resolution.MINUTE, T0, 1, 2, 2),
            row("purchase.count", Resolution.MINUTE, T0, 2, 5, 5)));

    IntervalRows rows =
        store.readIntervals("purchase.count", Resolution.MINUTE, T0, T0.plusSeconds(600));

    assertThat(rows.size()).isEqualTo(3);
    assertThat(starts(rows))
        .containsExactly(T0.getEpochSecond(), T0.getEpochSecond(), T0.getEpochSecond() + 120);
    assertThat(rows.value(0) + rows.value(1)).isEqualTo(7.0);
    assertThat(rows.eventCount(2)).isEqualTo(3);
    assertThat(rows.value(2)).isEqualTo(3.0);
    assertThat(rows.readTimestamp()).isEqualTo(NOW);
    assertThat(Files.exists(dir.resolve("intervals.mv.db"))).isTrue();
  }

  @Test
  void rowCapStopsOnePastTheCap() throws StoreException {
    List<IntervalRow> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      rows.add(row("a.count", Resolution.MINUTE, T0.plusSeconds(60L * i), i, 1, 1));
    }
    writer.write(rows);
    Instant end = T0.plusSeconds(600);

    assertThat(
            store
                .readIntervals("a.count", Resolution.MINUTE, T0, end, new ReadLimits(5, null))
                .size())
        .isEqualTo(5);
    assertThatThrownBy(
            () ->
                store.readIntervals("a.count", Resolution.MINUTE, T0, end, new ReadLimits(4, null)))
        .isInstanceOf(RowLimitException.class)
        .hasMessage("reading MINUTE intervals of a.count would return more than 4 rows");
  }

  @Test
  void noTimeLeftFailsBeforeReading() {
    assertThatThrownBy(
            () ->
                store.readIntervals(
                    "a.count",
                    Resolution.MINUTE,
                    T0,
                    T0.plusSeconds(60),
                    new ReadLimits(10, Duration.ofMillis(-1))))
        .isInstanceOf(StoreTimeoutException.class);
  }

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

  @Test
  void rangeIsStartInclusiveEndExclusive() throws StoreException {
    List<IntervalRow> minutes = new ArrayList<>();
    for (int m = 0; m < 10; m++) {
      minutes.add(row("a.count", Resolution.MINUTE, T0.plusSeconds(60L * m), 1, m, 1));
    }
    writer.write(minutes);

    IntervalRows rows =
        store.readIntervals("a.count", Resolution.MINUTE, T0.plusSeconds(120), T0.plusSeconds(300));
    assertThat(starts(rows))
        .containsExactly(
            T0.getEpochSecond() + 120, T0.getEpochSecond() + 180, T0.getEpochSecond() + 240);

    // A start between interval starts rounds up; an end between them keeps the interval before it.
    IntervalRows partial =
        store.readIntervals(
            "a.count", Resolution.MINUTE, T0.plusSeconds(61), T0.plusMillis(180_500));
    assertThat(starts(partial))
        .containsExactly(T0.getEpochSecond() + 120, T0.getEpochSecond() + 180);
  }

  @Test
  void resolutionsAndSeriesAreSeparate() throws StoreException {
    writer.write(
        List.of(
            row("a.count", Resolution.MINUTE, T0, 1, 1, 1),
            row("a.count", Resolution.QUARTER_HOUR, T0, 1, 9, 9),
            row("b.count", Resolution.MINUTE, T0, 1, 4, 4)));

    IntervalRows quarter =
        store.readIntervals("a.count", Resolution.QUARTER_HOUR, T0, T0.plusSeconds(900));

    assertThat(quarter.size()).isEqualTo(1);
    assertThat(quarter.value(0)).isEqualTo(9.0);
    assertThat(store.readIntervals("c.count", Resolution.MINUTE, T0, NOW).size()).isZero();
  }

  @Test
  void largeWritesSpanSeveralBatches() throws StoreException {
    int n = JdbcIntervalWriter.BATCH_SIZE * 2 + 17;
    List<IntervalRow> rows =
        IntStream.range(0, n)
            .mapToObj(i -> row("big.count", Resolution.MINUTE, T0.plusSeconds(60L * i), 1, 1, 1))
            .collect(Collectors.toList());
    writer.write(rows);

    IntervalRows read =
        store.readIntervals("big.count", Resolution.MINUTE, T0, T0.plusSeconds(60L * n));

    assertThat(read.size()).isEqualTo(n);
    assertThat(read.intervalStart(n - 1)).isEqualTo(T0.getEpochSecond() + 60L * (n - 1));
  }

  @Test
  void catalogMergeWidensFirstAndLastSeen() throws StoreException {
    Instant later = T0.plusSeconds(3600);
    writer.mergeCatalog(List.of(new SeriesInfo("a.x.max", AggregateFunction.MAX, T0, T0)));
    writer.mergeCatalog(List.of(new SeriesInfo("a.x.max", AggregateFunction.MAX, later, later)));
    writer.mergeCatalog(
        List.of(
            new SeriesInfo(
                "a.x.max", AggregateFunction.MAX, T0.plusSeconds(60), T0.plusSeconds(120))));
    writer.mergeCatalog(
        List.of(
            new SeriesInfo(
                "a.x.max", AggregateFunction.MAX, T0.minusSeconds(60), T0.minusSeconds(60))));

    assertThat(store.series("a.x.max"))
        .contains(new SeriesInfo("a.x.max", AggregateFunction.MAX, T0.minusSeconds(60), later));
    assertThat(store.series("a.y.max")).isEmpty();
  }

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

  @Test
  void likeWildcardsInAPrefixMatchLiterally() throws StoreException {
    writer.mergeCatalog(
        List.of(
            new SeriesInfo("a_b.count", AggregateFunction.SUM, T0, T0),
            new SeriesInfo("axb.count", AggregateFunction.SUM, T0, T0),
            new SeriesInfo("a%25.count", AggregateFunction.SUM, T0, T0)));

    assertThat(names(store.listSeries("a_", 10, ""))).containsExactly("a_b.count");
    assertThat(names(store.listSeries("a%", 10, ""))).containsExactly("a%25.count");
  }

  @Test
  void foreignPageTokenIsRejected() {
    assertThatThrownBy(() -> store.listSeries("purchase.", 10, "not-a-token"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not issued by this store");
  }

  @Test
  void nonPositivePageSizeIsRejected() {
    assertThatThrownBy(() -> store.listSeries("", 0, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("page size");
  }

  @Test
  void dataSurvivesReopeningTheFile() throws StoreException {
    writer.write(List.of(row("a.count", Resolution.MINUTE, T0, 1, 5, 5)));
    writer.close();
    store.close();

    writer = JdbcIntervalWriter.open(url);
    store = JdbcIntervalStore.open(url, Clock.fixed(NOW, ZoneOffset.UTC));

    assertThat(store.readIntervals("a.count", Resolution.MINUTE, T0, NOW).value(0)).isEqualTo(5.0);
  }

  @Test
  void nonH2UrlIsRejected() {
    assertThatThrownBy(() -> JdbcIntervalStore.open("jdbc:sqlite:/tmp/x", Clock.systemUTC()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdbc:h2:");
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
