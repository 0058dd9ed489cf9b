package io.eventflow.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One subscription's backlog as eventflow-broker's {@code /metrics} reports it (the {@code
 * eventflow_broker_subscription_*} gauges), parsed from the Prometheus text format.
 *
 * @param unacknowledged {@code num_undelivered_messages}: unacknowledged messages, delivered or not
 * @param bytes {@code backlog_bytes}
 * @param oldestAgeSeconds {@code oldest_unacked_message_age_seconds}
 * @param outstanding {@code num_outstanding_messages}: leased to a consumer right now
 * @param byDeliveryAttempts unacknowledged messages delivered 0, 1, 2, 3 and 4+ times
 */
record BrokerBacklog(
    long unacknowledged,
    long bytes,
    double oldestAgeSeconds,
    long outstanding,
    long[] byDeliveryAttempts) {

  private static final String PREFIX = "eventflow_broker_subscription_";
  private static final Pattern SAMPLE =
      Pattern.compile("(?m)^" + PREFIX + "(\\w+)\\{([^}]*)\\} (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final String[] ATTEMPTS = {"0", "1", "2", "3", "4+"};

  /** The backlogs in a {@code /metrics} text, by subscription name, in name order. */
  static Map<String, BrokerBacklog> parse(String metrics) {
    Map<String, long[]> counts = new TreeMap<>();
    Map<String, Double> ages = new TreeMap<>();
    Matcher sample = SAMPLE.matcher(metrics);
    while (sample.find()) {
      String subscription = null;
      String attempts = null;
      Matcher label = LABEL.matcher(sample.group(2));
      while (label.find()) {
        String value = label.group(2).replace("\\\"", "\"").replace("\\\\", "\\");
        switch (label.group(1)) {
          case "subscription" -> subscription = value;
          case "delivery_attempts" -> attempts = value;
          default -> {}
        }
      }
      if (subscription == null) {
        continue;
      }
      double value = Double.parseDouble(sample.group(3));
      long[] c = counts.computeIfAbsent(subscription, s -> new long[3 + ATTEMPTS.length]);
      switch (sample.group(1)) {
        case "num_undelivered_messages" -> c[0] = (long) value;
        case "backlog_bytes" -> c[1] = (long) value;
        case "num_outstanding_messages" -> c[2] = (long) value;
        case "oldest_unacked_message_age_seconds" -> ages.put(subscription, value);
        case "unacked_messages_by_delivery_attempts" -> {
          for (int i = 0; i < ATTEMPTS.length; i++) {
            if (ATTEMPTS[i].equals(attempts)) {
              c[3 + i] = (long) value;
            }
          }
        }
        default -> {}
      }
    }
    Map<String, BrokerBacklog> out = new TreeMap<>();
    counts.forEach(
        (name, c) ->
            out.put(
                name,
                new BrokerBacklog(
                    c[0],
                    c[1],
                    ages.getOrDefault(name, 0.0),
                    c[2],
                    java.util.Arrays.copyOfRange(c, 3, c.length))));
    return out;
  }

  /** A table: one row per subscription, columns aligned. */
  static String table(Map<String, BrokerBacklog> backlogs) {
    String[] header = {
      "SUBSCRIPTION", "UNACKED", "BYTES", "OLDEST", "LEASED", "DELIVERED 0/1/2/3/4+"
    };
    java.util.List<String[]> rows = new java.util.ArrayList<>();
    rows.add(header);
    backlogs.forEach(
        (name, b) -> {
          StringBuilder attempts = new StringBuilder();
          for (long n : b.byDeliveryAttempts()) {
            attempts.append(attempts.length() == 0 ? "" : "/").append(n);
          }
          rows.add(
              new String[] {
                name,
                Long.toString(b.unacknowledged()),
                Long.toString(b.bytes()),
                String.format(Locale.ROOT, "%.1fs", b.oldestAgeSeconds()),
                Long.toString(b.outstanding()),
                attempts.toString()
              });
        });
    int[] widths = new int[header.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        out.append(row[i]);
        if (i < row.length - 1) {
          out.append(" ".repeat(widths[i] - row[i].length() + 2));
        }
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static final JsonFactory JSON = new JsonFactory();

  /**
   * {@code {"subscriptions":[{"name":...,"num_undelivered_messages":3,"backlog_bytes":900,
   * "oldest_unacked_message_age_seconds":90.000,"num_outstanding_messages":2,"delivery_attempts":
   * {"0":1,"1":1,"2":1,"3":0,"4+":0}}]}}, written by Jackson's generator (names escaped as JSON
   * requires).
   */
  static String json(Map<String, BrokerBacklog> backlogs) {
    StringWriter text = new StringWriter();
    try (JsonGenerator out = JSON.createGenerator(text)) {
      out.writeStartObject();
      out.writeArrayFieldStart("subscriptions");
      for (Map.Entry<String, BrokerBacklog> e : backlogs.entrySet()) {
        BrokerBacklog b = e.getValue();
        out.writeStartObject();
        out.writeStringField("name", e.getKey());
        out.writeNumberField("num_undelivered_messages", b.unacknowledged());
        out.writeNumberField("backlog_bytes", b.bytes());
        out.writeFieldName("oldest_unacked_message_age_seconds");
        out.writeNumber(String.format(Locale.ROOT, "%.3f", b.oldestAgeSeconds()));
        out.writeNumberField("num_outstanding_messages", b.outstanding());
        out.writeObjectFieldStart("delivery_attempts");
        for (int i = 0; i < ATTEMPTS.length; i++) {
          out.writeNumberField(ATTEMPTS[i], b.byDeliveryAttempts()[i]);
        }
        out.writeEndObject();
        out.writeEndObject();
      }
      out.writeEndArray();
      out.writeEndObject();
    } catch (IOException e) {
      // A StringWriter does no I/O; Jackson declares it anyway.
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }
}
