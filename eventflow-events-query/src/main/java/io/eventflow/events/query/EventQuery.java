package io.eventflow.events.query;

import io.eventflow.timeseries.srv.Bucketing;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A question about the raw events of one type in {@code [start, end)}: either a listing (the first
 * {@code limit} events in time order) or a sample (aggregates per bucket of {@code sampleBy} in
 * {@code zone}).
 *
 * @param type the event type
 * @param start first instant, inclusive
 * @param end last instant, exclusive
 * @param where the filter, or null for every event
 * @param limit most events listed (listings only)
 * @param sampleBy the buckets, or null for a listing
 * @param zone the zone buckets align to
 * @param fill what empty buckets print
 * @param aggregates the sample's columns, at least one for a sample
 */
public record EventQuery(
    String type,
    Instant start,
    Instant end,
    Condition where,
    int limit,
    Bucketing sampleBy,
    ZoneId zone,
    Fill fill,
    List<Aggregate> aggregates) {
  /** Most events a listing prints; more belongs in a file written by the warehouse itself. */
  public static final int MAX_LIMIT = 1_000_000;

  /** Most buckets a sample returns: a year of 5-minute buckets. */
  public static final int MAX_BUCKETS = 105_120;

  /** Copies the aggregates; use {@link #list} or {@link #sample}, which check the query. */
  public EventQuery {
    aggregates = List.copyOf(aggregates);
  }

  /**
   * Returns a listing of at most {@code limit} events.
   *
   * @throws InvalidQueryException if the type is blank, the range empty or the limit out of range
   */
  public static EventQuery list(String type, Instant start, Instant end, Condition where, int limit)
      throws InvalidQueryException {
    checkCommon(type, start, end);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidQueryException("bad --limit " + limit + ": expected 1 to " + MAX_LIMIT);
    }
    return new EventQuery(
        type, start, end, where, limit, null, ZoneId.of("UTC"), Fill.NONE, List.of());
  }

  /**
   * Returns a sample: {@code aggregates} per bucket of {@code sampleBy} in {@code zone}.
   *
   * @throws InvalidQueryException if the type is blank, the range empty or no aggregate given
   */
  public static EventQuery sample(
      String type,
      Instant start,
      Instant end,
      Condition where,
      Bucketing sampleBy,
      ZoneId zone,
      Fill fill,
      List<Aggregate> aggregates)
      throws InvalidQueryException {
    checkCommon(type, start, end);
    if (aggregates.isEmpty()) {
      throw new InvalidQueryException("bad --agg: name at least one aggregate, e.g. count()");
    }
    return new EventQuery(type, start, end, where, 0, sampleBy, zone, fill, aggregates);
  }

  private static void checkCommon(String type, Instant start, Instant end)
      throws InvalidQueryException {
    if (type == null || type.isBlank()) {
      throw new InvalidQueryException("bad --type: an event type is required, e.g. purchase");
    }
    if (!start.isBefore(end)) {
      throw new InvalidQueryException(
          "bad range: --start " + start + " must be before --end " + end);
    }
  }

  /** Returns whether this is a sample (rather than a listing). */
  public boolean isSample() {
    return sampleBy != null;
  }

  /** Returns the filter, if any. */
  public Optional<Condition> filter() {
    return Optional.ofNullable(where);
  }

  /**
   * Returns the attribute fields this query reads (in its filter and aggregates), without repeats,
   * in order of appearance.
   */
  public List<Field> attributeFields() {
    List<Field> out = new ArrayList<>();
    List<Field> all = new ArrayList<>(where == null ? List.of() : where.fields());
    aggregates.stream().filter(a -> a.field() != null).forEach(a -> all.add(a.field()));
    for (Field field : all) {
      if (!field.isColumn() && !out.contains(field)) {
        out.add(field);
      }
    }
    return out;
  }

  /**
   * Returns the boundaries of the sample's buckets in epoch seconds, by the query service's rules
   * ({@link Bucketing#boundaries}): bucket i is {@code [b[i], b[i+1])}.
   *
   * @throws InvalidQueryException if there would be more than {@link #MAX_BUCKETS}
   */
  public long[] boundaries() throws InvalidQueryException {
    long first = start.getEpochSecond();
    // The end is exclusive: a sub-second end still needs the bucket holding its whole second.
    long last = end.getEpochSecond() + (end.getNano() > 0 ? 1 : 0);
    return sampleBy.boundaries(zone, first, last, MAX_BUCKETS);
  }
}
