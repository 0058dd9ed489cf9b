package io.eventflow.timeseries.srv;

import com.google.cloud.spanner.DatabaseId;
import com.google.cloud.spanner.SpannerOptions;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalStore;
import io.eventflow.timeseries.store.spanner.SpannerIntervalStore;
import java.time.Clock;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Opens the interval store an {@code EVENTFLOW_STORE} value names. */
public final class StoreUrls {
  private static final Pattern SPANNER =
      Pattern.compile("spanner:projects/([^/]+)/instances/([^/]+)/databases/([^/]+)");

  private StoreUrls() {}

  /**
   * Opens {@code jdbc:h2:…} as the embedded store, or {@code
   * spanner:projects/P/instances/I/databases/D} as Spanner read with the given staleness (the
   * client honours {@code SPANNER_EMULATOR_HOST} and application default credentials).
   *
   * @throws IllegalArgumentException if {@code url} is neither form
   * @throws StoreException if the embedded store cannot be opened
   */
  public static IntervalStore open(String url, Duration spannerMaxStaleness, Clock clock)
      throws StoreException {
    if (url.startsWith("jdbc:")) {
      return JdbcIntervalStore.open(url, clock);
    }
    Matcher m = SPANNER.matcher(url);
    if (m.matches()) {
      return SpannerIntervalStore.open(
          SpannerOptions.newBuilder().setProjectId(m.group(1)).build(),
          DatabaseId.of(m.group(1), m.group(2), m.group(3)),
          spannerMaxStaleness);
    }
    throw new IllegalArgumentException(
        "EVENTFLOW_STORE: \""
            + url
            + "\" is neither jdbc:h2:… nor spanner:projects/P/instances/I/databases/D");
  }
}
