package io.eventflow.timeseries.srv;

import io.eventflow.timeseries.store.Resolution;
import io.grpc.Status;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The service's metrics, rendered in the Prometheus text exposition format (version 0.0.4). Updates
 * are lock-free adders: a cache hit costs a few nanoseconds of bookkeeping.
 */
public final class Metrics {
  /**
   * Latency bucket bounds in seconds: a cache hit takes well under a millisecond, a year of minute
   * rows from Spanner a few seconds.
   */
  private static final double[] LATENCY_BOUNDS = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  /** The bounds as {@code le} label values, written the way people read them. */
  private static final String[] LATENCY_LABELS = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
    "5", "10"
  };

  private final Map<String, LongAdder> requests = new ConcurrentSkipListMap<>();
  private final Map<String, Histogram> latency = new ConcurrentSkipListMap<>();
  private final Map<String, LongAdder> cache = new ConcurrentSkipListMap<>();
  private final LongAdder cacheDegraded = new LongAdder();
  private final Map<String, LongAdder> rowsRead = new ConcurrentHashMap<>();

  /** Counts a finished call of {@code method} with its status and latency. */
  public void request(String method, Status.Code code, long nanos) {
    requests
        .computeIfAbsent(
            "method=\"" + method + "\",code=\"" + code.name() + "\"", k -> new LongAdder())
        .increment();
    latency.computeIfAbsent("method=\"" + method + "\"", k -> new Histogram()).observe(nanos / 1e9);
  }

  /** Counts a cache lookup at {@code level} ("l1" or "l2") that hit or missed. */
  public void cacheLookup(String level, boolean hit) {
    cache
        .computeIfAbsent(
            "level=\"" + level + "\",result=\"" + (hit ? "hit" : "miss") + "\"",
            k -> new LongAdder())
        .increment();
  }

  /** Counts a Redis operation that failed, timed out or was skipped while Redis is failing. */
  public void cacheDegraded() {
    cacheDegraded.increment();
  }

  /** Counts rows read from the store at a resolution. */
  public void rowsRead(Resolution resolution, long rows) {
    rowsRead
        .computeIfAbsent(resolution.name().toLowerCase(Locale.ROOT), k -> new LongAdder())
        .add(rows);
  }

  /** Returns the current values in the Prometheus text format. */
  public String scrape() {
    StringBuilder out = new StringBuilder(4096);
    family(out, "eventflow_timeseries_requests_total", "counter", "Finished gRPC calls.");
    requests.forEach(
        (labels, n) ->
            out.append("eventflow_timeseries_requests_total{")
                .append(labels)
                .append("} ")
                .append(n.sum())
                .append('\n'));
    family(
        out,
        "eventflow_timeseries_request_duration_seconds",
        "histogram",
        "gRPC call latency, from the request's arrival to the response's status.");
    latency.forEach((labels, h) -> h.write(out, labels));
    family(
        out,
        "eventflow_timeseries_cache_lookups_total",
        "counter",
        "Cache lookups by level (l1 in-process, l2 Redis) and result.");
    cache.forEach(
        (labels, n) ->
            out.append("eventflow_timeseries_cache_lookups_total{")
                .append(labels)
                .append("} ")
                .append(n.sum())
                .append('\n'));
    family(
        out,
        "eventflow_timeseries_cache_degraded_total",
        "counter",
        "Redis operations that failed or were skipped; queries fell back to the store.");
    out.append("eventflow_timeseries_cache_degraded_total ").append(cacheDegraded.sum());
    out.append('\n');
    family(
        out,
        "eventflow_timeseries_rows_read_total",
        "counter",
        "Interval rows read from the store.");
    for (Resolution r : Resolution.values()) {
      String name = r.name().toLowerCase(Locale.ROOT);
      LongAdder n = rowsRead.get(name);
      out.append("eventflow_timeseries_rows_read_total{resolution=\"")
          .append(name)
          .append("\"} ")
          .append(n == null ? 0 : n.sum())
          .append('\n');
    }
    return out.toString();
  }

  private static void family(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  /** A cumulative histogram over {@link #LATENCY_BOUNDS}. */
  private static final class Histogram {
    private final LongAdder[] buckets = new LongAdder[LATENCY_BOUNDS.length];
    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();

    Histogram() {
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = new LongAdder();
      }
    }

    void observe(double seconds) {
      for (int i = 0; i < LATENCY_BOUNDS.length; i++) {
        if (seconds <= LATENCY_BOUNDS[i]) {
          buckets[i].increment();
          break;
        }
      }
      count.increment();
      sum.add(seconds);
    }

    void write(StringBuilder out, String labels) {
      String name = "eventflow_timeseries_request_duration_seconds";
      long cumulative = 0;
      for (int i = 0; i < LATENCY_BOUNDS.length; i++) {
        cumulative += buckets[i].sum();
        out.append(name)
            .append("_bucket{")
            .append(labels)
            .append(",le=\"")
            .append(LATENCY_LABELS[i])
            .append("\"} ")
            .append(cumulative)
            .append('\n');
      }
      long total = count.sum();
      out.append(name).append("_bucket{").append(labels).append(",le=\"+Inf\"} ").append(total);
      out.append('\n');
      out.append(name).append("_sum{").append(labels).append("} ").append(sum.sum()).append('\n');
      out.append(name).append("_count{").append(labels).append("} ").append(total).append('\n');
    }
  }
}
