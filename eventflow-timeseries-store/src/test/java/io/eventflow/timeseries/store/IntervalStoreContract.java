package io.eventflow.timeseries.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What every interval store adapter must do, written once and run against each: a subclass opens an
 * empty store and its writer before each test ({@link #store()}, {@link #writer()}) and closes them
 * after. The H2 store runs it in {@code JdbcIntervalStoreTest}, the Spanner adapters against
 * Google's emulator in {@code SpannerEmulatorProcessTest} (its binary) and {@code
 * SpannerEmulatorContainerTest} (its Docker image); not against the in-process mock, which stores
 * nothing. Other modules get it from this module's test-jar.
 *
 * <p>It cannot live in eventflow-testing: the contract needs this module's types, and this module's
 * tests depend on eventflow-testing's fixtures.
 */
public abstract class IntervalStoreContract {
  /** An interval start every test writes around. */
  protected static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

  /** Returns the store under test, empty at the start of each test. */
  protected abstract IntervalStore store();

  /** Returns the writer of the same store. */
  protected abstract IntervalWriter writer();

  /** Returns a number of rows larger than one of the writer's batches or commits. */
  protected abstract int rowsBeyondOneBatch();

  /** Several rows of one interval (one per pane) come back in interval order, none combined. */
  @Test
  void writtenRowsReadBackInIntervalOrder() throws StoreException {
    writer()
        .write(
            List.of(
                row("purchase.count", Resolution.MINUTE, T0.plusSeconds(120), 7, 3, 3),
                row("purchase.count", Resolution.MINUTE, T0, 1, 2, 2),
                row("purchase.count", Resolution.MINUTE, T0, 2, 5, 5)));

    IntervalRows rows =
        store().readIntervals("purchase.count", Resolution.MINUTE, T0, T0.plusSeconds(600));

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
    writer().write(List.of(first));
    writer().write(List.of(first));
    writer().write(List.of(row("purchase.amount.sum", Resolution.MINUTE, T0, 42, 11.5, 3)));

    IntervalRows rows =
        store().readIntervals("purchase.amount.sum", Resolution.MINUTE, T0, T0.plusSeconds(60));

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
    writer().write(minutes);

    assertThat(
            starts(
                store()
                    .readIntervals(
                        "a.count", Resolution.MINUTE, T0.plusSeconds(120), T0.plusSeconds(300))))
        .containsExactly(
            T0.getEpochSecond() + 120, T0.getEpochSecond() + 180, T0.getEpochSecond() + 240);
    // A start between interval starts rounds up; an end between them keeps the interval before it.
    assertThat(
            starts(
                store()
                    .readIntervals(
                        "a.count", Resolution.MINUTE, T0.plusSeconds(61), T0.plusMillis(180_500))))
        .containsExactly(T0.getEpochSecond() + 120, T0.getEpochSecond() + 180);
  }

  /** Another resolution or another series sharing a key prefix is never read. */
  @Test
  void resolutionsAndSeriesAreSeparate() throws StoreException {
    writer()
        .write(
            List.of(
                row("a.count", Resolution.MINUTE, T0, 1, 1, 1),
                row("a.count", Resolution.QUARTER_HOUR, T0, 1, 9, 9),
                row("a.countx", Resolution.QUARTER_HOUR, T0, 1, 4, 4)));

    IntervalRows quarter =
        store().readIntervals("a.count", Resolution.QUARTER_HOUR, T0, T0.plusSeconds(900));

    assertThat(quarter.size()).isEqualTo(1);
    assertThat(quarter.value(0)).isEqualTo(9.0);
    assertThat(store().readIntervals("c.count", Resolution.MINUTE, T0, T0.plusSeconds(3600)).size())
        .isZero();
  }

  /** A write larger than one batch or commit is split and arrives whole. */
  @Test
  void writeLargerThanOneBatchArrivesWhole() throws StoreException {
    int n = rowsBeyondOneBatch();
    writer()
        .write(
            IntStream.range(0, n)
                .mapToObj(
                    i -> row("big.count", Resolution.MINUTE, T0.plusSeconds(60L * i), 1, i, 1))
                .collect(Collectors.toList()));

    IntervalRows read =
        store().readIntervals("big.count", Resolution.MINUTE, T0, T0.plusSeconds(60L * n));

    assertThat(read.size()).isEqualTo(n);
    assertThat(read.intervalStart(n - 1)).isEqualTo(T0.getEpochSecond() + 60L * (n - 1));
    assertThat(read.value(n - 1)).isEqualTo(n - 1.0);
  }

  /** The row cap lets exactly the cap through and fails, naming it, one row past it. */
  @Test
  void rowCapFailsOnePastTheCap() throws StoreException {
    List<IntervalRow> rows = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      rows.add(row("a.count", Resolution.MINUTE, T0.plusSeconds(60L * i), i, i, 1));
    }
    writer().write(rows);
    Instant end = T0.plusSeconds(600);

    assertThat(
            store()
                .readIntervals("a.count", Resolution.MINUTE, T0, end, new ReadLimits(5, null))
                .size())
        .isEqualTo(5);
    assertThatThrownBy(
            () ->
                store()
                    .readIntervals("a.count", Resolution.MINUTE, T0, end, new ReadLimits(4, null)))
        .isInstanceOf(RowLimitException.class)
        .hasMessage("reading MINUTE intervals of a.count would return more than 4 rows");
  }

  /** A read whose deadline has passed fails as a timeout before it reads. */
  @Test
  void noTimeLeftFailsBeforeReading() {
    assertThatThrownBy(
            () ->
                store()
                    .readIntervals(
                        "a.count",
                        Resolution.MINUTE,
                        T0,
                        T0.plusSeconds(60),
                        new ReadLimits(10, Duration.ofMillis(-1))))
        .isInstanceOf(StoreTimeoutException.class);
  }

  /** Catalog reads whose deadline has passed fail as timeouts too, before they read. */
  @Test
  void catalogReadsWithNoTimeLeftFailBeforeReading() {
    assertThatThrownBy(() -> store().series("a.count", Duration.ofMillis(-1)))
        .isInstanceOf(StoreTimeoutException.class);
    assertThatThrownBy(() -> store().listSeries("", 10, "", Duration.ZERO))
        .isInstanceOf(StoreTimeoutException.class);
  }

  /** Catalog merges only widen first/last seen, whatever order the updates arrive in. */
  @Test
  void catalogMergeWidensFirstAndLastSeen() throws StoreException {
    Instant later = T0.plusSeconds(3600);
    writer().mergeCatalog(List.of(new SeriesInfo("a.x.max", AggregateFunction.MAX, T0, T0)));
    writer().mergeCatalog(List.of(new SeriesInfo("a.x.max", AggregateFunction.MAX, later, later)));
    writer()
        .mergeCatalog(
            List.of(
                new SeriesInfo(
                    "a.x.max", AggregateFunction.MAX, T0.plusSeconds(60), T0.plusSeconds(120)),
                new SeriesInfo(
                    "a.x.max", AggregateFunction.MAX, T0.minusSeconds(60), T0.minusSeconds(60)),
                new SeriesInfo("b.count", AggregateFunction.SUM, T0, T0)));

    assertThat(store().series("a.x.max"))
        .contains(new SeriesInfo("a.x.max", AggregateFunction.MAX, T0.minusSeconds(60), later));
    assertThat(store().series("b.count"))
        .contains(new SeriesInfo("b.count", AggregateFunction.SUM, T0, T0));
    assertThat(store().series("a.y.max")).isEmpty();
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
    writer().mergeCatalog(entries);

    SeriesPage first = store().listSeries("purchase.", 2, "");
    assertThat(names(first)).containsExactly("purchase.acme.count", "purchase.b%C3%A4r.count");
    assertThat(first.nextPageToken()).isNotEmpty();

    SeriesPage second = store().listSeries("purchase.", 2, first.nextPageToken());
    assertThat(names(second)).containsExactly("purchase.count", "purchase.zeta.count");
    assertThat(second.nextPageToken()).isEmpty();

    SeriesPage exact = store().listSeries("purchase.", 4, "");
    assertThat(exact.series()).hasSize(4);
    assertThat(exact.nextPageToken()).isEmpty();

    assertThat(names(store().listSeries("", 100, ""))).hasSize(6);
  }

  /** A prefix is literal: {@code _} and {@code %} are not wildcards. */
  @Test
  void wildcardCharactersInAPrefixMatchLiterally() throws StoreException {
    writer()
        .mergeCatalog(
            List.of(
                new SeriesInfo("a_b.count", AggregateFunction.SUM, T0, T0),
                new SeriesInfo("axb.count", AggregateFunction.SUM, T0, T0),
                new SeriesInfo("a%25.count", AggregateFunction.SUM, T0, T0)));

    assertThat(names(store().listSeries("a_", 10, ""))).containsExactly("a_b.count");
    assertThat(names(store().listSeries("a%", 10, ""))).containsExactly("a%25.count");
  }

  /** A token of another prefix's listing, or one no store issued, is refused. */
  @Test
  void foreignPageTokensAreRejected() throws StoreException {
    writer()
        .mergeCatalog(
            List.of(
                new SeriesInfo("a.count", AggregateFunction.SUM, T0, T0),
                new SeriesInfo("a.x.sum", AggregateFunction.SUM, T0, T0)));
    String token = store().listSeries("a.", 1, "").nextPageToken();

    assertThatThrownBy(() -> store().listSeries("b.", 1, token))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store().listSeries("a.", 1, "not-a-token"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not issued by this store");
  }

  /** A page size below one is a caller's error. */
  @Test
  void nonPositivePageSizeIsRejected() {
    assertThatThrownBy(() -> store().listSeries("", 0, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("page size");
  }

  /** Returns an interval row. */
  protected static IntervalRow row(
      String series, Resolution resolution, Instant start, long rowId, double value, long count) {
    return new IntervalRow(series, resolution, start, rowId, value, count);
  }

  /** Returns the interval starts of the rows, in order. */
  protected static List<Long> starts(IntervalRows rows) {
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
