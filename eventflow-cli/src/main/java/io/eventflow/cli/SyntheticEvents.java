package io.eventflow.cli;

import com.google.protobuf.StringValue;
import com.google.protobuf.util.Durations;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Generates a realistic mix of web-shop events from a seeded {@link Random}: the same seed and
 * settings give the same events in the same order.
 *
 * <p>Customers are skewed the way real traffic is: customer ranks are drawn as {@code n * u^3} for
 * uniform {@code u}, so the first 10% of customers produce about 46% of the events. Durations are
 * log-normal around a typical median, since latencies have long right tails.
 */
final class SyntheticEvents {
  /** The event types the feed generates, with their share of the traffic. */
  enum Type {
    PAGE_VIEW("page_view", 50),
    API_REQUEST("api_request", 20),
    SEARCH("search", 15),
    ADD_TO_CART("add_to_cart", 10),
    PURCHASE("purchase", 4),
    SIGNUP("signup", 1);

    private final String wireName;
    private final int weight;

    Type(String wireName, int weight) {
      this.wireName = wireName;
      this.weight = weight;
    }

    /** Returns the event type as published, e.g. {@code page_view}. */
    String wireName() {
      return wireName;
    }

    /** Returns the type with the given published name. */
    static Type fromWireName(String name) {
      for (Type type : values()) {
        if (type.wireName.equals(name)) {
          return type;
        }
      }
      throw new IllegalArgumentException("unknown event type '" + name + "'");
    }
  }

  private static final List<String> PAGES =
      List.of("/", "/products", "/products/item", "/cart", "/checkout", "/account", "/help");
  private static final List<String> ENDPOINTS =
      List.of("GET /api/products", "GET /api/cart", "POST /api/cart", "POST /api/orders");
  private static final List<String> PAYMENT_METHODS = List.of("card", "card", "card", "paypal");
  private static final List<String> PLANS = List.of("free", "free", "free", "pro", "team");
  private static final List<String> REFERRERS = List.of("search", "social", "direct", "email");

  private final Random random;
  private final List<Type> types;
  private final int totalWeight;
  private final int customers;

  /**
   * Creates a generator of the given types (in their usual proportions to each other) for customers
   * {@code customer-00001} to {@code customer-<customers>}.
   */
  SyntheticEvents(Random random, List<Type> types, int customers) {
    if (types.isEmpty()) {
      throw new IllegalArgumentException("at least one event type is needed");
    }
    if (customers < 1) {
      throw new IllegalArgumentException("at least one customer is needed");
    }
    this.random = random;
    this.types = List.copyOf(types);
    this.totalWeight = types.stream().mapToInt(t -> t.weight).sum();
    this.customers = customers;
  }

  /** Returns the next event: type, customer and attributes; no id, source or timestamp. */
  Event.Builder next() {
    Type type = pickType();
    Event.Builder event = Event.newBuilder().setType(type.wireName);
    // A fifth of API requests come from unauthenticated clients, which have no customer.
    if (type != Type.API_REQUEST || random.nextInt(5) != 0) {
      event.setCustomer(StringValue.of(customer()));
    }
    switch (type) {
      case PAGE_VIEW -> {
        event.putAttributes("page", AttributeValues.of(pick(PAGES)));
        event.putAttributes("load_time", duration(350, 0.6));
        event.putAttributes("bytes", AttributeValues.of(20_000L + random.nextInt(1_500_000)));
        event.putAttributes("scroll_depth", AttributeValues.of(round(random.nextDouble(), 2)));
      }
      case API_REQUEST -> {
        event.putAttributes("endpoint", AttributeValues.of(pick(ENDPOINTS)));
        int roll = random.nextInt(100);
        long status = roll < 90 ? 200 : roll < 95 ? 404 : roll < 98 ? 400 : 500;
        event.putAttributes("status", AttributeValues.of(status));
        event.putAttributes("latency", duration(45, 0.8));
        event.putAttributes("response_bytes", AttributeValues.of((long) random.nextInt(64_000)));
      }
      case SEARCH -> {
        event.putAttributes("query_length", AttributeValues.of(1L + random.nextInt(40)));
        event.putAttributes("results", AttributeValues.of((long) random.nextInt(500)));
        event.putAttributes("latency", duration(80, 0.5));
      }
      case ADD_TO_CART -> {
        event.putAttributes(
            "sku",
            AttributeValues.of(String.format(Locale.ROOT, "sku-%04d", random.nextInt(5000))));
        event.putAttributes("quantity", AttributeValues.of(1L + random.nextInt(5)));
        event.putAttributes(
            "unit_price", AttributeValues.of(round(2 + random.nextDouble() * 198, 2)));
      }
      case PURCHASE -> {
        long items = 1L + random.nextInt(8);
        event.putAttributes("items", AttributeValues.of(items));
        event.putAttributes(
            "amount_cents", AttributeValues.of(items * (500 + random.nextInt(9_500))));
        event.putAttributes("discount", AttributeValues.of(round(random.nextDouble() * 0.3, 2)));
        event.putAttributes("checkout_time", duration(45_000, 0.5));
        event.putAttributes("payment_method", AttributeValues.of(pick(PAYMENT_METHODS)));
      }
      case SIGNUP -> {
        event.putAttributes("plan", AttributeValues.of(pick(PLANS)));
        event.putAttributes("trial", AttributeValues.of(random.nextBoolean()));
        event.putAttributes("form_time", duration(60_000, 0.7));
        event.putAttributes("referrer", AttributeValues.of(pick(REFERRERS)));
      }
    }
    return event;
  }

  private Type pickType() {
    int roll = random.nextInt(totalWeight);
    for (Type type : types) {
      roll -= type.weight;
      if (roll < 0) {
        return type;
      }
    }
    throw new AssertionError("weights sum to " + totalWeight);
  }

  private String customer() {
    double u = random.nextDouble();
    int rank = (int) (customers * u * u * u);
    return String.format(Locale.ROOT, "customer-%05d", rank + 1);
  }

  private <T> T pick(List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  /** A log-normal duration with the given median in milliseconds, in whole microseconds. */
  private io.eventflow.common.pb.AttributeValue duration(double medianMillis, double sigma) {
    double millis = medianMillis * Math.exp(sigma * random.nextGaussian());
    return AttributeValues.of(Durations.fromMicros(Math.round(millis * 1000)));
  }

  private static double round(double value, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(value * scale) / scale;
  }
}
