package io.eventflow.events.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queries against an archive written by the ingest job's archive writer, answers compared with
 * values computed here from the events themselves: listings, filters, samples in UTC and across the
 * daylight-saving days of America/New_York and Asia/Kathmandu's 1986 offset change, fills, and
 * fields no event has.
 */
class ArchiveQueryTest {
  static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  static final ZoneId KATHMANDU = ZoneId.of("Asia/Kathmandu");

  /** Seeded: the seed is printed, and -Dseed= repeats a run. */
  static final long SEED = Long.getLong("seed", System.nanoTime());

  @TempDir static Path directory;

  static Path archive;

  /** The randomized events of the zone scenarios, by type. */
  static final Map<String, List<Event>> RANDOM = new TreeMap<>();

  @BeforeAll
  static void writeArchive() {
    System.out.println("ArchiveQueryTest seed " + SEED + " (repeat with -Dseed=" + SEED + ")");
    Random random = new Random(SEED);
    List<Event> events = new ArrayList<>(fixedEvents());
    // The US fall-back day (01:00-02:00 happens twice on 2026-11-01) and the spring-forward day.
    RANDOM.put(
        "nyfall", randomEvents(random, "nyfall", "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z"));
    RANDOM.put(
        "nyspring",
        randomEvents(random, "nyspring", "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z"));
    // Kathmandu moved from +05:30 to +05:45 at local midnight of 1986-01-01: 00:00-00:15 never was.
    RANDOM.put(
        "ktm1986", randomEvents(random, "ktm1986", "1985-12-31T06:00:00Z", "1986-01-02T06:00:00Z"));
    RANDOM.put("ktm", randomEvents(random, "ktm", "2026-11-06T00:00:00Z", "2026-11-08T00:00:00Z"));
    RANDOM.values().forEach(events::addAll);
    archive = directory.resolve("warehouse");
    ArchiveFixture.write(archive, events, 2);
  }

  /** Hand-picked purchases on 2026-03-02 (UTC), a signup among them and one just before. */
  static List<Event> fixedEvents() {
    return List.of(
        purchase("p1", "2026-03-02T00:10:00Z", "acme", Map.of("amount", AttributeValues.of(10L))),
        purchase(
            "p2", "2026-03-02T00:50:00.250Z", "globex", Map.of("amount", AttributeValues.of(5.5))),
        purchase(
            "p3",
            "2026-03-02T01:20:00Z",
            "acme",
            Map.of("amount", AttributeValues.of(20L), "vip", AttributeValues.of(true))),
        purchase(
            "p4",
            "2026-03-02T04:05:00Z",
            null,
            Map.of("amount", AttributeValues.of(7L), "note", AttributeValues.of("gift"))),
        purchase(
            "p0",
            "2026-03-01T23:59:59.999999Z",
            "acme",
            Map.of("amount", AttributeValues.of(1000L))),
        ArchiveFixture.event(
            "s1",
            "signup",
            Instant.parse("2026-03-02T00:30:00Z"),
            "acme",
            Map.of("plan", AttributeValues.of("pro"))));
  }

  static Event purchase(
      String id, String at, String customer, Map<String, AttributeValue> attributes) {
    return ArchiveFixture.event(id, "purchase", Instant.parse(at), customer, attributes);
  }

  static List<Event> randomEvents(Random random, String type, String from, String to) {
    long start = Instant.parse(from).getEpochSecond();
    long span = Instant.parse(to).getEpochSecond() - start;
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 1500; i++) {
      Instant at =
          Instant.ofEpochSecond(
              start + (long) (random.nextDouble() * span), random.nextInt(1_000_000) * 1000);
      events.add(
          ArchiveFixture.event(
              type + "-" + i,
              type,
              at,
              "c" + random.nextInt(3),
              Map.of("amount", AttributeValues.of((long) random.nextInt(1000)))));
    }
    return events;
  }

  static QueryResult run(EventQuery query) throws Exception {
    try (ArchiveEventStore store = ArchiveEventStore.of(archive)) {
      return EventQueries.run(store, query);
    }
  }

  static EventQuery sample(
      String type,
      String from,
      String to,
      String where,
      String every,
      ZoneId zone,
      Fill fill,
      String aggregates)
      throws InvalidQueryException {
    return EventQuery.sample(
        type,
        Instant.parse(from),
        Instant.parse(to),
        where == null ? null : WhereParser.parse(where),
        SampleBy.parse(every),
        zone,
        fill,
        Aggregate.parseList(aggregates));
  }

  static EventQuery listing(String from, String to, String where, int limit)
      throws InvalidQueryException {
    return EventQuery.list(
        "purchase",
        Instant.parse(from),
        Instant.parse(to),
        where == null ? null : WhereParser.parse(where),
        limit);
  }

  @Test
  void listsTheTypesEventsInRangeInTimeOrder() throws Exception {
    QueryResult result = run(listing("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", null, 100));

    assertThat(result.columns())
        .containsExactly("timestamp", "id", "type", "source", "customer", "attributes");
    assertThat(result.rows()).extracting(r -> r.get(1)).containsExactly("p1", "p2", "p3", "p4");
    assertThat(result.rows().get(1).get(0)).isEqualTo(Instant.parse("2026-03-02T00:50:00.250Z"));
    assertThat(result.rows().get(2).get(5)).isEqualTo(Map.of("amount", 20L, "vip", true));
    assertThat(result.rows().get(3).get(4)).isNull();
  }

  @Test
  void rangeIsStartInclusiveEndExclusiveToTheMicrosecond() throws Exception {
    QueryResult result =
        run(listing("2026-03-01T23:59:59.999999Z", "2026-03-02T00:10:00Z", null, 100));

    assertThat(result.rows()).extracting(r -> r.get(1)).containsExactly("p0");
  }

  @Test
  void limitKeepsTheEarliest() throws Exception {
    QueryResult result = run(listing("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", null, 2));

    assertThat(result.rows()).extracting(r -> r.get(1)).containsExactly("p1", "p2");
  }

  @Test
  void whereFiltersOnColumnsAndTypedAttributes() throws Exception {
    String day = "2026-03-02T00:00:00Z";
    String next = "2026-03-03T00:00:00Z";
    assertThat(ids(run(listing(day, next, "customer = \"acme\"", 100))))
        .containsExactly("p1", "p3");
    assertThat(ids(run(listing(day, next, "amount >= 7 and amount < 20", 100))))
        .containsExactly("p1", "p4");
    assertThat(
            ids(
                run(
                    listing(
                        day, next, "vip = true or (customer = 'globex' and not amount > 6)", 100))))
        .containsExactly("p2", "p3");
    assertThat(ids(run(listing(day, next, "customer != \"acme\"", 100)))).containsExactly("p2");
    assertThat(ids(run(listing(day, next, "note = \"gift\"", 100)))).containsExactly("p4");
  }

  @Test
  void aQuoteInsideALiteralIsJustPartOfTheValue() throws Exception {
    QueryResult result =
        run(
            listing(
                "2026-03-02T00:00:00Z",
                "2026-03-03T00:00:00Z",
                "customer = \"acme' OR '1'='1\"",
                100));

    assertThat(result.rows()).isEmpty();
  }

  @Test
  void samplesHourlyInUtcWithEveryFill() throws Exception {
    String from = "2026-03-02T00:00:00Z";
    String to = "2026-03-02T06:00:00Z";
    String aggs = "count(), sum(amount), max(amount)";

    assertThat(rows(run(sample("purchase", from, to, null, "1h", ZoneOffset.UTC, Fill.NONE, aggs))))
        .containsExactly(
            List.of("2026-03-02T00:00:00Z", 2L, 15.5, 10.0),
            List.of("2026-03-02T01:00:00Z", 1L, 20.0, 20.0),
            List.of("2026-03-02T04:00:00Z", 1L, 7.0, 7.0));
    assertThat(rows(run(sample("purchase", from, to, null, "1h", ZoneOffset.UTC, Fill.NULL, aggs))))
        .hasSize(6)
        .element(2)
        .isEqualTo(java.util.Arrays.asList("2026-03-02T02:00:00Z", null, null, null));
    assertThat(rows(run(sample("purchase", from, to, null, "1h", ZoneOffset.UTC, Fill.PREV, aggs))))
        .extracting(r -> r.get(1))
        .containsExactly(2L, 1L, 1L, 1L, 1L, 1L);
    assertThat(rows(run(sample("purchase", from, to, null, "1h", ZoneOffset.UTC, Fill.ZERO, aggs))))
        .containsExactly(
            List.of("2026-03-02T00:00:00Z", 2L, 15.5, 10.0),
            List.of("2026-03-02T01:00:00Z", 1L, 20.0, 20.0),
            List.of("2026-03-02T02:00:00Z", 0L, 0.0, 0.0),
            List.of("2026-03-02T03:00:00Z", 0L, 0.0, 0.0),
            List.of("2026-03-02T04:00:00Z", 1L, 7.0, 7.0),
            List.of("2026-03-02T05:00:00Z", 0L, 0.0, 0.0));
  }

  @Test
  void prevBeforeTheFirstBucketIsNull() throws Exception {
    List<List<Object>> rows =
        rows(
            run(
                sample(
                    "purchase",
                    "2026-03-01T22:00:00Z",
                    "2026-03-02T01:00:00Z",
                    "customer = \"globex\"",
                    "1h",
                    ZoneOffset.UTC,
                    Fill.PREV,
                    "count()")));

    assertThat(rows)
        .containsExactly(
            java.util.Arrays.asList("2026-03-01T22:00:00Z", null),
            java.util.Arrays.asList("2026-03-01T23:00:00Z", null),
            List.of("2026-03-02T00:00:00Z", 1L));
  }

  @Test
  void newYorkFallBackDayMatchesLocalHoursAndDays() throws Exception {
    checkAgainstOracle("nyfall", "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z", NEW_YORK);
    // 25 hours on the day itself: the repeated 01:00 is a bucket of its own.
    List<List<Object>> hours =
        hourlyCounts("nyfall", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", NEW_YORK);
    assertThat(hours).hasSize(25);
    assertThat(hours)
        .extracting(r -> r.get(0))
        .contains("2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z");
  }

  @Test
  void newYorkSpringForwardDayMatchesLocalHoursAndDays() throws Exception {
    checkAgainstOracle("nyspring", "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z", NEW_YORK);
    List<List<Object>> hours =
        hourlyCounts("nyspring", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", NEW_YORK);
    assertThat(hours).hasSize(23);
  }

  @Test
  void kathmanduOffsetChangeOf1986MatchesLocalHoursAndDays() throws Exception {
    checkAgainstOracle("ktm1986", "1985-12-31T06:00:00Z", "1986-01-02T06:00:00Z", KATHMANDU);
    // The first hour after the change is 45 minutes long: 00:15 to 01:00 local (+05:45).
    List<List<Object>> hours =
        hourlyCounts("ktm1986", "1985-12-31T17:30:00Z", "1985-12-31T20:00:00Z", KATHMANDU);
    assertThat(hours)
        .extracting(r -> r.get(0))
        .containsExactly("1985-12-31T17:30:00Z", "1985-12-31T18:30:00Z", "1985-12-31T19:15:00Z");
  }

  @Test
  void kathmanduHoursStartAtQuarterPastInUtc() throws Exception {
    checkAgainstOracle("ktm", "2026-11-06T00:00:00Z", "2026-11-08T00:00:00Z", KATHMANDU);
  }

  /** Compares 15-minute, hourly and daily samples with buckets computed here from the events. */
  static void checkAgainstOracle(String type, String from, String to, ZoneId zone)
      throws Exception {
    for (String every : List.of("15m", "1h", "1d")) {
      Map<Instant, long[]> expected = new TreeMap<>();
      for (Event e : RANDOM.get(type)) {
        Instant at =
            Instant.ofEpochSecond(e.getTimestamp().getSeconds(), e.getTimestamp().getNanos());
        if (at.isBefore(Instant.parse(from)) || !at.isBefore(Instant.parse(to))) {
          continue;
        }
        long[] v =
            expected.computeIfAbsent(
                oracleBucket(at, zone, every), k -> new long[] {0, 0, Long.MIN_VALUE});
        long amount = e.getAttributesOrThrow("amount").getIntValue();
        v[0]++;
        v[1] += amount;
        v[2] = Math.max(v[2], amount);
      }
      List<List<Object>> want = new ArrayList<>();
      expected.forEach(
          (start, v) -> want.add(List.of(start.toString(), v[0], (double) v[1], (double) v[2])));

      List<List<Object>> got =
          rows(
              run(
                  sample(
                      type,
                      from,
                      to,
                      null,
                      every,
                      zone,
                      Fill.NONE,
                      "count(), sum(amount), max(amount)")));

      assertThat(got)
          .as("%s buckets of %s in %s (seed %s)", every, type, zone, SEED)
          .isEqualTo(want);
    }
  }

  /**
   * The bucket of an instant by local wall-clock arithmetic, independent of Bucketing: truncate the
   * local time (keeping its offset, so a repeated hour stays apart), resolving a truncated time
   * that falls in a gap forward, as the clocks did.
   */
  static Instant oracleBucket(Instant at, ZoneId zone, String every) {
    ZonedDateTime local = at.atZone(zone);
    if (every.equals("1d")) {
      return local.toLocalDate().atStartOfDay(zone).toInstant();
    }
    int minutes = every.equals("1h") ? 60 : 15;
    LocalDateTime wall = local.toLocalDateTime().truncatedTo(ChronoUnit.MINUTES);
    wall = wall.minusMinutes((wall.getHour() * 60 + wall.getMinute()) % minutes);
    Instant start = ZonedDateTime.ofLocal(wall, zone, local.getOffset()).toInstant();
    // A bucket never starts before the offset in force at the instant began.
    var transition = zone.getRules().previousTransition(at.plusSeconds(1));
    if (transition != null
        && start.isBefore(transition.getInstant())
        && !at.isBefore(transition.getInstant())) {
      return transition.getInstant();
    }
    return start;
  }

  @Test
  void anUnknownFieldIsNamedWithTheFieldsThereAre() {
    assertThatThrownBy(
            () ->
                run(
                    sample(
                        "purchase",
                        "2026-03-02T00:00:00Z",
                        "2026-03-03T00:00:00Z",
                        null,
                        "1h",
                        ZoneOffset.UTC,
                        Fill.NONE,
                        "sum(amout)")))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessage(
            "unknown field \"amout\": no purchase event in [2026-03-02T00:00:00Z, 2026-03-03T00:00:00Z) has it; their fields are id, type, source, customer, amount, note, vip");
    assertThatThrownBy(
            () -> run(listing("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", "amout > 3", 10)))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessageStartingWith("unknown field \"amout\"");
  }

  @Test
  void noEventsInRangeIsAnEmptyAnswer() throws Exception {
    assertThat(run(listing("2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", "amout > 3", 10)).rows())
        .isEmpty();
    assertThat(
            run(sample(
                    "nosuchtype",
                    "2026-03-02T00:00:00Z",
                    "2026-03-03T00:00:00Z",
                    null,
                    "1h",
                    ZoneOffset.UTC,
                    Fill.NONE,
                    "count()"))
                .rows())
        .isEmpty();
  }

  @Test
  void tooManyBucketsIsRefused() {
    assertThatThrownBy(
            () ->
                run(
                    sample(
                        "purchase",
                        "2000-01-01T00:00:00Z",
                        "2026-01-01T00:00:00Z",
                        null,
                        "5m",
                        ZoneOffset.UTC,
                        Fill.NONE,
                        "count()")))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessageContaining("more than 105120 buckets");
  }

  /** Every hourly bucket's count in {@code zone}, empty ones as 0. */
  static List<List<Object>> hourlyCounts(String type, String from, String to, ZoneId zone)
      throws Exception {
    return rows(run(sample(type, from, to, null, "1h", zone, Fill.ZERO, "count()")));
  }

  static List<String> ids(QueryResult result) {
    return result.rows().stream().map(r -> (String) r.get(1)).toList();
  }

  /** Rows with their start as RFC 3339 text, for readable comparisons. */
  static List<List<Object>> rows(QueryResult result) {
    List<List<Object>> out = new ArrayList<>();
    for (List<Object> row : result.rows()) {
      List<Object> copy = new ArrayList<>(row);
      copy.set(0, row.get(0).toString());
      out.add(copy);
    }
    return out;
  }
}
