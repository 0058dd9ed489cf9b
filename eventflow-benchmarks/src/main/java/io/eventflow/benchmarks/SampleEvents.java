package io.eventflow.benchmarks;

import com.google.protobuf.Duration;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/** The events benchmarks work on: shapes like production traffic, fixed so runs compare. */
public final class SampleEvents {
  private SampleEvents() {}

  /**
   * A ~300-byte purchase event in JSON (8 attributes of every numeric kind, a customer, a
   * millisecond timestamp), the size the ingest targets are stated for.
   */
  public static Event purchase() {
    return Event.newBuilder()
        .setId("0190b3a4-7c1e-7d2a-9f3e-4b5c6d7e8f90")
        .setType("purchase")
        .setSource("checkout-service")
        .setCustomer(StringValue.of("acme"))
        .setTimestamp(Timestamp.newBuilder().setSeconds(1_717_171_717L).setNanos(123_000_000))
        .putAttributes("amount", AttributeValues.of(4_999L))
        .putAttributes("items", AttributeValues.of(3L))
        .putAttributes("discount", AttributeValues.of(0.15))
        .putAttributes("currency", AttributeValues.of("EUR"))
        .putAttributes("first_order", AttributeValues.of(true))
        .putAttributes("country", AttributeValues.of("DE"))
        .putAttributes(
            "latency", AttributeValues.of(Duration.newBuilder().setNanos(1_500_000).build()))
        .build();
  }

  /**
   * The rollups {@code eventflow local --demo} configures (eventflow-cli's {@code
   * LocalCommand.DEMO_ROLLUPS}); {@link #traffic} generates the attributes they aggregate.
   */
  public static final String DEMO_ROLLUPS =
      "purchase:sum:amount_cents,purchase:max:amount_cents,page_view:max:load_time,"
          + "api_request:max:latency,add_to_cart:sum:quantity";

  /**
   * Returns {@code count} events of a web shop's traffic, the same for the same arguments: the type
   * mix of {@code eventflow feed} (page_view 50%, api_request 20%, search 15%, add_to_cart 10%,
   * purchase 4%, signup 1%), 1,000 customers skewed as real traffic is (rank {@code n * u^3}, so a
   * tenth of the customers send about half the events), a fifth of API requests without a customer,
   * and the numeric attributes {@link #DEMO_ROLLUPS} aggregates.
   *
   * <p>Timestamps are spread evenly over {@code minutes} minutes from {@code start}, each moved by
   * up to 5 s either way so arrival order is not event-time order (events reach ingest from many
   * clients).
   */
  public static List<Event> traffic(int count, Instant start, int minutes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Event> events = new ArrayList<>(count);
    long spanMillis = minutes * 60_000L;
    for (int i = 0; i < count; i++) {
      long millis = start.toEpochMilli() + spanMillis * i / count + random.nextLong(-5_000, 5_001);
      millis =
          Math.max(start.toEpochMilli(), Math.min(millis, start.toEpochMilli() + spanMillis - 1));
      Event.Builder event =
          Event.newBuilder()
              .setId(
                  String.format(
                      Locale.ROOT, "0190b3a4-7c1e-7d2a-9f3e-%012x", seed * 1_000_003L + i))
              .setSource("web-shop")
              .setTimestamp(
                  Timestamp.newBuilder()
                      .setSeconds(Math.floorDiv(millis, 1000))
                      .setNanos((int) Math.floorMod(millis, 1000) * 1_000_000));
      int roll = random.nextInt(100);
      String type =
          roll < 50
              ? "page_view"
              : roll < 70
                  ? "api_request"
                  : roll < 85
                      ? "search"
                      : roll < 95 ? "add_to_cart" : roll < 99 ? "purchase" : "signup";
      event.setType(type);
      if (!type.equals("api_request") || random.nextInt(5) != 0) {
        double u = random.nextDouble();
        event.setCustomer(
            StringValue.of(
                String.format(Locale.ROOT, "customer-%05d", (int) (1000 * u * u * u) + 1)));
      }
      switch (type) {
        case "page_view" -> {
          event.putAttributes("page", AttributeValues.of("/products/item"));
          event.putAttributes("load_time", durationMillis(random, 350));
          event.putAttributes("bytes", AttributeValues.of(20_000L + random.nextInt(1_500_000)));
        }
        case "api_request" -> {
          event.putAttributes("endpoint", AttributeValues.of("GET /api/products"));
          event.putAttributes("status", AttributeValues.of(random.nextInt(10) == 0 ? 404L : 200L));
          event.putAttributes("latency", durationMillis(random, 45));
        }
        case "search" -> {
          event.putAttributes("query_length", AttributeValues.of(1L + random.nextInt(40)));
          event.putAttributes("results", AttributeValues.of((long) random.nextInt(500)));
          event.putAttributes("latency", durationMillis(random, 80));
        }
        case "add_to_cart" -> {
          event.putAttributes(
              "sku",
              AttributeValues.of(String.format(Locale.ROOT, "sku-%04d", random.nextInt(5000))));
          event.putAttributes("quantity", AttributeValues.of(1L + random.nextInt(5)));
          event.putAttributes("unit_price", AttributeValues.of(2 + random.nextInt(19_800) / 100.0));
        }
        case "purchase" -> {
          long items = 1L + random.nextInt(8);
          event.putAttributes("items", AttributeValues.of(items));
          event.putAttributes(
              "amount_cents", AttributeValues.of(items * (500 + random.nextInt(9_500))));
          event.putAttributes("payment_method", AttributeValues.of("card"));
        }
        default -> {
          event.putAttributes("plan", AttributeValues.of("free"));
          event.putAttributes("trial", AttributeValues.of(random.nextBoolean()));
        }
      }
      events.add(event.build());
    }
    return events;
  }

  /** A duration between half and twice a typical value, in whole microseconds. */
  private static io.eventflow.common.pb.AttributeValue durationMillis(
      SplittableRandom random, int typicalMillis) {
    long micros = typicalMillis * 1000L / 2 + random.nextLong(typicalMillis * 1500L);
    return AttributeValues.of(Durations.fromMicros(micros));
  }
}
