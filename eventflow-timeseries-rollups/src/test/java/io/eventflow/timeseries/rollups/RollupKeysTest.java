package io.eventflow.timeseries.rollups;

import static io.eventflow.timeseries.rollups.Events.event;
import static io.eventflow.timeseries.rollups.Events.num;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.Durations;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import io.eventflow.timeseries.store.AggregateFunction;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which series an event feeds, with which values, in which minute. */
class RollupKeysTest {
  private static final Instant AT = Instant.parse("2025-03-01T10:07:42.500Z");
  private static final long MINUTE = Instant.parse("2025-03-01T10:07:00Z").getEpochSecond();

  private record Point(String series, AggregateFunction function, long minute, double value) {}

  private final RollupKeys keys =
      new RollupKeys(
          RollupSpec.parse("purchase:sum:amount,purchase:max:amount,request:min:latency"));

  private List<Point> points(Event event) {
    List<Point> points = new ArrayList<>();
    keys.extract(event, (s, f, m, v) -> points.add(new Point(s, f, m, v)));
    return points;
  }

  /**
   * Series names are cached per type and customer: alternating customers and types, with and
   * without a customer, and more pairs than the cache holds, each event still feeds exactly its own
   * series (compared with a fresh extractor, whose cache is empty).
   */
  @Test
  void cachedSeriesNamesStayExactAcrossCustomersTypesAndEvictions() {
    String[] customers = {"acme", "globex", null, "acme", "a.b c", null};
    String[] types = {"purchase", "request", "signup"};
    for (int i = 0; i < RollupKeys.MAX_CACHED_PAIRS + 50; i += i < 30 ? 1 : 997) {
      String customer = i < 30 ? customers[i % customers.length] : "c-" + i;
      Event e =
          event("" + i, types[i % types.length], customer, AT)
              .putAttributes("amount", num(i))
              .putAttributes("latency", num(i))
              .build();
      RollupKeys fresh =
          new RollupKeys(
              RollupSpec.parse("purchase:sum:amount,purchase:max:amount,request:min:latency"));
      List<Point> expected = new ArrayList<>();
      fresh.extract(e, (s2, f, m, v) -> expected.add(new Point(s2, f, m, v)));
      assertThat(points(e)).containsExactlyElementsOf(expected);
    }
    for (int i = 0; i < RollupKeys.MAX_CACHED_PAIRS + 10; i++) {
      keys.extract(event("x", "signup", "many-" + i, AT).build(), (s2, f, m, v) -> {});
    }
    assertThat(points(event("1", "purchase", "acme", AT).putAttributes("amount", num(1)).build()))
        .contains(new Point("purchase.acme.count", AggregateFunction.SUM, MINUTE, 1));
  }

  /**
   * Past {@link RollupKeys#MAX_CACHED_PAIRS} pairs the cache stays within its bound and still keeps
   * the pair it built last: the same event again gets the very same name instances, not rebuilt
   * ones. (The hand-written cache cleared itself at the bound and then stored the new pair in a map
   * that was no longer the cache.)
   */
  @Test
  void cacheStaysBoundedAndKeepsThePairItBuiltLast() {
    List<String> first = new ArrayList<>();
    List<String> again = new ArrayList<>();
    for (int i = 0; i < RollupKeys.MAX_CACHED_PAIRS; i++) {
      keys.extract(event("e" + i, "signup", "customer-" + i, AT).build(), (series, f, m, v) -> {});
    }
    Event last = event("last", "signup", "customer-last", AT).build();
    keys.extract(last, (series, f, m, v) -> first.add(series));
    keys.extract(last, (series, f, m, v) -> again.add(series));

    keys.cache().cleanUp();
    assertThat(keys.cache().estimatedSize()).isLessThanOrEqualTo(RollupKeys.MAX_CACHED_PAIRS);
    assertThat(first).containsExactly("signup.count", "signup.customer-last.count");
    for (int i = 0; i < first.size(); i++) {
      assertThat(again.get(i)).isSameAs(first.get(i));
    }
  }

  @Test
  void byDimensionRulesFeedOneSeriesPerValueFromTheEventOrItsEnrichment() {
    RollupKeys byPlan =
        new RollupKeys(RollupSpec.parse("purchase:sum:amount:by=plan,purchase:count:by=plan"));
    List<Point> points = new ArrayList<>();
    RollupKeys.PointSink sink = (s, f, m, v) -> points.add(new Point(s, f, m, v));

    byPlan.extract(
        event("1", "purchase", "acme", AT)
            .putAttributes("amount", num(12))
            .setEnrichment(
                io.eventflow.common.pb.Enrichment.newBuilder()
                    .setStatus("enriched")
                    .setKind("customer")
                    .putAttributes("plan", AttributeValues.of("gold")))
            .build(),
        sink);
    // The event's own attribute wins over enrichment; values are escaped like any component.
    byPlan.extract(
        event("2", "purchase", null, AT)
            .putAttributes("amount", num(5))
            .putAttributes("plan", AttributeValues.of("free.tier"))
            .build(),
        sink);
    // Without the dimension: only the plain series.
    byPlan.extract(event("3", "purchase", null, AT).putAttributes("amount", num(7)).build(), sink);

    assertThat(points)
        .containsExactly(
            new Point("purchase.count", AggregateFunction.SUM, MINUTE, 1),
            new Point("purchase.acme.count", AggregateFunction.SUM, MINUTE, 1),
            new Point("purchase.plan=gold.amount.sum", AggregateFunction.SUM, MINUTE, 12),
            new Point("purchase.plan=gold.count", AggregateFunction.SUM, MINUTE, 1),
            new Point("purchase.count", AggregateFunction.SUM, MINUTE, 1),
            new Point("purchase.plan=free%2Etier.amount.sum", AggregateFunction.SUM, MINUTE, 5),
            new Point("purchase.plan=free%2Etier.count", AggregateFunction.SUM, MINUTE, 1),
            new Point("purchase.count", AggregateFunction.SUM, MINUTE, 1));
  }

  @Test
  void valuesPastTheBoundAreCountedUnderOther() {
    RollupKeys bounded = new RollupKeys(RollupSpec.parse("visit:count:by=page"), 2);
    List<String> series = new ArrayList<>();
    for (String page : List.of("a", "b", "c", "a", "d", "b")) {
      bounded.extract(
          event(page, "visit", null, AT).putAttributes("page", AttributeValues.of(page)).build(),
          (s, f, m, v) -> {
            if (!s.equals("visit.count")) {
              series.add(s);
            }
          });
    }

    assertThat(series)
        .containsExactly(
            "visit.page=a.count",
            "visit.page=b.count",
            "visit.page=__other__.count",
            "visit.page=a.count",
            "visit.page=__other__.count",
            "visit.page=b.count");
  }

  /**
   * The rules split by one dimension admit the same values: a plan is either in every one of its
   * series or under {@code __other__} in all of them, also when the first event with a plan fed
   * only one of the rules. Per-rule admission once gave {@code plan=gold.count} and {@code
   * plan=free.amount.sum} under a bound of one.
   */
  @Test
  void rulesSplitByOneDimensionAdmitTheSameValues() {
    RollupKeys bounded =
        new RollupKeys(RollupSpec.parse("purchase:sum:amount:by=plan,purchase:count:by=plan"), 1);
    RollupKeys copy = org.apache.beam.sdk.util.SerializableUtils.clone(bounded);
    List<String> series = new ArrayList<>();
    RollupKeys.PointSink sink =
        (s, f, m, v) -> {
          if (s.startsWith("purchase.plan=")) {
            series.add(s);
          }
        };
    // No amount: only the count rule sees gold, and admits it for the dimension.
    bounded.extract(
        event("1", "purchase", null, AT).putAttributes("plan", AttributeValues.of("gold")).build(),
        sink);
    // Another thread's copy of the rules shares what was admitted.
    copy.extract(
        event("2", "purchase", null, AT)
            .putAttributes("plan", AttributeValues.of("free"))
            .putAttributes("amount", num(5))
            .build(),
        sink);
    copy.extract(
        event("3", "purchase", null, AT)
            .putAttributes("plan", AttributeValues.of("gold"))
            .putAttributes("amount", num(7))
            .build(),
        sink);

    assertThat(series)
        .containsExactly(
            "purchase.plan=gold.count",
            "purchase.plan=__other__.amount.sum",
            "purchase.plan=__other__.count",
            "purchase.plan=gold.amount.sum",
            "purchase.plan=gold.count");
  }

  @Test
  void eventWithoutCustomerFeedsOnlyTotalSeries() {
    assertThat(points(event("1", "signup", null, AT).build()))
        .containsExactly(new Point("signup.count", AggregateFunction.SUM, MINUTE, 1));
  }

  @Test
  void eventWithCustomerFeedsTotalAndCustomerSeries() {
    assertThat(points(event("1", "purchase", "acme", AT).putAttributes("amount", num(12)).build()))
        .containsExactlyInAnyOrder(
            new Point("purchase.count", AggregateFunction.SUM, MINUTE, 1),
            new Point("purchase.acme.count", AggregateFunction.SUM, MINUTE, 1),
            new Point("purchase.amount.sum", AggregateFunction.SUM, MINUTE, 12),
            new Point("purchase.acme.amount.sum", AggregateFunction.SUM, MINUTE, 12),
            new Point("purchase.amount.max", AggregateFunction.MAX, MINUTE, 12),
            new Point("purchase.acme.amount.max", AggregateFunction.MAX, MINUTE, 12));
  }

  @Test
  void emptyCustomerCountsAsNone() {
    assertThat(points(event("1", "signup", "", AT).build()))
        .containsExactly(new Point("signup.count", AggregateFunction.SUM, MINUTE, 1));
  }

  @Test
  void durationsAreAggregatedInMicroseconds() {
    Event e =
        event("1", "request", null, AT)
            .putAttributes("latency", AttributeValues.of(Durations.fromMillis(1500)))
            .build();
    assertThat(points(e))
        .contains(new Point("request.latency.min", AggregateFunction.MIN, MINUTE, 1_500_000));
  }

  @Test
  void doublesAreAggregatedAsIs() {
    Event e = event("1", "purchase", null, AT).putAttributes("amount", num(2.25)).build();
    assertThat(points(e))
        .contains(new Point("purchase.amount.sum", AggregateFunction.SUM, MINUTE, 2.25));
  }

  @Test
  void nonNumericAndNonFiniteValuesAreSkippedAndReported() {
    Event text =
        event("1", "purchase", "acme", AT)
            .putAttributes("amount", AttributeValues.of("12"))
            .build();
    Event nan = event("2", "purchase", null, AT).putAttributes("amount", num(Double.NaN)).build();
    List<Point> points = new ArrayList<>();

    // Two rules on "amount", each skipped for the total and the customer series.
    assertThat(keys.extract(text, (s, f, m, v) -> points.add(new Point(s, f, m, v)))).isEqualTo(4);
    assertThat(keys.extract(nan, (s, f, m, v) -> points.add(new Point(s, f, m, v)))).isEqualTo(2);
    assertThat(points)
        .extracting(Point::series)
        .containsExactlyInAnyOrder("purchase.count", "purchase.acme.count", "purchase.count");
  }

  @Test
  void absentAttributeIsNotASkip() {
    assertThat(keys.extract(event("1", "purchase", null, AT).build(), (s, f, m, v) -> {})).isZero();
  }

  @Test
  void namesAreEscapedSoDotsInTypesAndCustomersStayUnambiguous() {
    assertThat(points(event("1", "page.view", "a.b", AT).build()))
        .extracting(Point::series)
        .containsExactly("page%2Eview.count", "page%2Eview.a%2Eb.count");
  }

  @Test
  void overlongSeriesNamesAreSkipped() {
    String customer = "c".repeat(2000);
    List<Point> points = new ArrayList<>();
    int skipped =
        keys.extract(
            event("1", "signup", customer, AT).build(),
            (s, f, m, v) -> points.add(new Point(s, f, m, v)));
    assertThat(skipped).isEqualTo(1);
    assertThat(points).extracting(Point::series).containsExactly("signup.count");
  }

  @Test
  void eventsBeforeTheEpochTruncateDownToTheirMinute() {
    Instant before = Instant.parse("1969-12-31T23:59:30Z");
    assertThat(points(event("1", "x", null, before).build()))
        .containsExactly(new Point("x.count", AggregateFunction.SUM, -60, 1));
  }
}
