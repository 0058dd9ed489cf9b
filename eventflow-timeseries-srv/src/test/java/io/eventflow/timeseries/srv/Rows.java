package io.eventflow.timeseries.srv;

import io.eventflow.timeseries.store.IntervalRows;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Builds columnar {@link IntervalRows} from rows given in any order, as a store returns them. */
final class Rows {
  /** One partial row. */
  record Row(long start, double value, long events) {}

  private final List<Row> rows = new ArrayList<>();

  /** Adds a pane partial for the interval starting at {@code start} (epoch seconds). */
  Rows add(long start, double value, long events) {
    rows.add(new Row(start, value, events));
    return this;
  }

  /** Adds a pane partial for the interval starting at an RFC 3339 instant. */
  Rows add(String start, double value, long events) {
    return add(Instant.parse(start).getEpochSecond(), value, events);
  }

  /** Returns the rows in interval-start order. */
  IntervalRows build() {
    return of(rows);
  }

  /** Returns the given rows sorted by interval start (stable, as the store's ORDER BY allows). */
  static IntervalRows of(List<Row> list) {
    List<Row> sorted = new ArrayList<>(list);
    sorted.sort(Comparator.comparingLong(Row::start));
    long[] starts = new long[sorted.size()];
    double[] values = new double[sorted.size()];
    long[] events = new long[sorted.size()];
    for (int i = 0; i < sorted.size(); i++) {
      starts[i] = sorted.get(i).start();
      values[i] = sorted.get(i).value();
      events[i] = sorted.get(i).events();
    }
    return new IntervalRows(starts, values, events, sorted.size(), Instant.EPOCH);
  }
}
