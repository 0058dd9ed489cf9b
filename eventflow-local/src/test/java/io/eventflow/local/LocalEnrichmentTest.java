package io.eventflow.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.Entities;
import io.eventflow.common.SampleEvents;
import io.eventflow.common.UuidV7Generator;
import io.eventflow.common.pb.Entity;
import io.eventflow.common.pb.Event;
import io.eventflow.publisher.EventPublisher;
import io.eventflow.timeseries.api.EntityClient;
import io.eventflow.timeseries.api.SeriesSummary;
import io.eventflow.timeseries.api.TimeSeriesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./eventflow local --enrich customer --rollups purchase:sum:amount:by=plan,
 * purchase:count:by=plan}: entities loaded through the stack's {@code EntityService} (what {@code
 * eventflow entities load} calls) are attached to events by ingest, looked up in the stack's own
 * database, and the rollups group by the plan they carry, exactly as the rollups README defines:
 * one series per plan; an event's own {@code plan} attribute before its enrichment's; an event
 * whose customer is unknown (enrichment {@code not_found}) adds to no plan series but still to
 * {@code purchase.count}; no {@code __other__} below the bound of values. One stack start: it is
 * the slow part.
 */
class LocalEnrichmentTest {
  private static final String ROLLUPS = "purchase:sum:amount:by=plan,purchase:count:by=plan";

  @TempDir Path dir;

  private final UuidV7Generator ids = new UuidV7Generator();

  private Event purchase(Instant at, String customer, long amount) {
    return SampleEvents.event(ids.nextId(), "purchase", "checkout", at, customer)
        .putAttributes("amount", AttributeValues.of(amount))
        .build();
  }

  /** Longer than the 5-minute default: a cold Flink start and up to 4 minutes for the answers. */
  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void eventsAreEnrichedFromLoadedEntitiesAndRolledUpByTheirPlanExactly() throws Exception {
    LocalConfig config =
        LocalConfig.defaults()
            .withDataDir(dir)
            .withPorts(0, 0, -1)
            .withRollups(ROLLUPS)
            .withEnrichment(new LocalConfig.Enrichment("customer", ""));
    Instant day = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(2, ChronoUnit.DAYS);
    LocalStack stack = LocalStack.start(config);
    try {
      // What `eventflow entities load --server HOST:PORT` sends for these two lines.
      List<Entity> entities =
          List.of(
              Entities.parse(
                  "{\"kind\":\"customer\",\"key\":\"acme\",\"attributes\":{\"plan\":"
                      + "{\"stringValue\":\"gold\"}}}"),
              Entities.parse(
                  "{\"kind\":\"customer\",\"key\":\"globex\",\"attributes\":{\"plan\":"
                      + "{\"stringValue\":\"silver\"}}}"));
      try (EntityClient client = EntityClient.connect(stack.grpcHostAndPort())) {
        assertThat(client.upsert(entities)).isEqualTo(2);
        assertThat(client.get("customer", "acme")).contains(entities.get(0));
      }

      try (EventPublisher publisher =
          EventPublisher.newBuilder(LocalStack.EVENTS_TOPIC)
              .project(LocalStack.PROJECT)
              .emulatorHost(stack.pubsubHostAndPort())
              .build()) {
        for (Event event :
            List.of(
                purchase(day.plus(Duration.ofHours(1)), "acme", 10),
                purchase(day.plus(Duration.ofHours(2)), "acme", 20),
                purchase(day.plus(Duration.ofHours(3)), "globex", 5),
                // Unknown: enrichment not_found, no plan.
                purchase(day.plus(Duration.ofHours(4)), "initech", 7),
                // Unknown too, but the event carries its own plan, which wins.
                purchase(day.plus(Duration.ofHours(5)), "hooli", 100).toBuilder()
                    .putAttributes("plan", AttributeValues.of("gold"))
                    .build())) {
          publisher.publish(event).get(30, TimeUnit.SECONDS);
        }
      }

      Map<String, Double> expected = new LinkedHashMap<>();
      expected.put("purchase.count", 5.0);
      expected.put("purchase.plan=gold.count", 3.0);
      expected.put("purchase.plan=gold.amount.sum", 130.0);
      expected.put("purchase.plan=silver.count", 1.0);
      expected.put("purchase.plan=silver.amount.sum", 5.0);
      expected.put("purchase.initech.count", 1.0);
      Instant from = day.minus(Duration.ofDays(1));
      Instant to = day.plus(Duration.ofDays(2));
      try (TimeSeriesClient client = TimeSeriesClient.connect(stack.grpcHostAndPort())) {
        for (Map.Entry<String, Double> series : expected.entrySet()) {
          LocalSeries.awaitTotal(client, series.getKey(), series.getValue(), from, to);
        }
        // Every series is complete: the plan series are these four, no __other__ among them, and
        // the events without a plan (initech) added to none.
        assertThat(client.listAllSeries("purchase.plan=").stream().map(SeriesSummary::name))
            .containsExactly(
                "purchase.plan=gold.amount.sum",
                "purchase.plan=gold.count",
                "purchase.plan=silver.amount.sum",
                "purchase.plan=silver.count");
        for (Map.Entry<String, Double> series : expected.entrySet()) {
          assertThat(LocalSeries.total(client, series.getKey(), from, to))
              .as(series.getKey())
              .isEqualTo(series.getValue());
        }
      }
    } finally {
      stack.close();
    }
  }
}
