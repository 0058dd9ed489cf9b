package io.eventflow.timeseries.api;

import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import java.time.Instant;
import java.util.Objects;

/**
 * The bucketed values of one series: bucket starts and values in parallel, in time order, with the
 * store's read timestamp.
 */
public final class SeriesValues {
  private final String name;
  private final long[] timestamps;
  private final double[] values;
  private final Instant readTimestamp;
  private final AggregateFunction function;

  /**
   * Creates series values from parallel arrays of bucket starts (epoch seconds) and values; the
   * arrays are copied.
   */
  public SeriesValues(
      String name,
      long[] timestamps,
      double[] values,
      Instant readTimestamp,
      AggregateFunction function) {
    if (timestamps.length != values.length) {
      throw new IllegalArgumentException(
          timestamps.length + " timestamps but " + values.length + " values");
    }
    this.name = Objects.requireNonNull(name, "name");
    this.timestamps = timestamps.clone();
    this.values = values.clone();
    this.readTimestamp = Objects.requireNonNull(readTimestamp, "readTimestamp");
    this.function = Objects.requireNonNull(function, "function");
  }

  /** Converts a response of the service for the series {@code name}. */
  public static SeriesValues fromResponse(String name, GetIntervalValuesResponse response) {
    if (response.getTimestampsCount() != response.getValuesCount()) {
      throw new IllegalArgumentException(
          "malformed response: "
              + response.getTimestampsCount()
              + " timestamps but "
              + response.getValuesCount()
              + " values");
    }
    long[] timestamps = new long[response.getTimestampsCount()];
    double[] values = new double[response.getValuesCount()];
    for (int i = 0; i < timestamps.length; i++) {
      timestamps[i] = response.getTimestamps(i);
      values[i] = response.getValues(i);
    }
    Instant read =
        Instant.ofEpochSecond(
            response.getReadTimestamp().getSeconds(), response.getReadTimestamp().getNanos());
    return new SeriesValues(name, timestamps, values, read, response.getAggregateFunction());
  }

  /** Returns the series name. */
  public String name() {
    return name;
  }

  /** Returns the number of buckets. */
  public int size() {
    return timestamps.length;
  }

  /** Returns the start of bucket {@code i}. */
  public Instant start(int i) {
    return Instant.ofEpochSecond(timestamps[i]);
  }

  /** Returns the start of bucket {@code i} in epoch seconds. */
  public long epochSecond(int i) {
    return timestamps[i];
  }

  /** Returns the value of bucket {@code i}; NaN for an empty MIN, MAX or AVG bucket. */
  public double value(int i) {
    return values[i];
  }

  /** Returns the snapshot time of the store read behind these values. */
  public Instant readTimestamp() {
    return readTimestamp;
  }

  /** Returns the function that produced the values. */
  public AggregateFunction function() {
    return function;
  }
}
