package io.eventflow.timeseries.srv;

import io.eventflow.timeseries.api.pb.GetIntervalValuesRequest;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import io.eventflow.timeseries.api.pb.ListTimeSeriesRequest;
import io.eventflow.timeseries.api.pb.ListTimeSeriesResponse;
import io.eventflow.timeseries.api.pb.TimeSeries;
import io.eventflow.timeseries.api.pb.TimeSeriesServiceGrpc;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.RowLimitException;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.SeriesNames;
import io.eventflow.timeseries.store.SeriesPage;
import io.eventflow.timeseries.store.StoreTimeoutException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.ExecutorService;

/**
 * The {@code TimeSeriesService} endpoint: checks requests, then answers through the cache and the
 * reader. Every failure is a status with a description: bad input is INVALID_ARGUMENT; a query over
 * the row cap, or arriving when every query thread and queue slot is taken, is RESOURCE_EXHAUSTED;
 * a store read past the call's deadline is DEADLINE_EXCEEDED; a store failure is UNAVAILABLE
 * (clients may retry); anything unexpected INTERNAL — never UNKNOWN. Store failures and unexpected
 * errors answer with an error id only; the detail (JDBC URLs, file paths, stack traces) is in the
 * server log under that id.
 *
 * <p>An answer the in-process cache holds is given on the gRPC thread at once. Everything that may
 * wait on Redis or the store runs on a bounded pool, within the call's deadline, capped by the
 * server's query timeout.
 */
public final class TimeSeriesServiceImpl extends TimeSeriesServiceGrpc.TimeSeriesServiceImplBase {
  /** The page size when the request leaves it 0. */
  static final int DEFAULT_PAGE_SIZE = 100;

  /** The largest page: a thousand catalog entries are about 100 KB on the wire. */
  static final int MAX_PAGE_SIZE = 1000;

  private final IntervalStore store;
  private final IntervalValuesReader reader;
  private final QueryCache cache;
  private final StoreCalls calls;
  private final ServerConfig.QueryLimits limits;
  private final Metrics metrics;

  /**
   * Creates the endpoint over a store, the reader answering from it, the cache before it, and the
   * bounded pool store reads run on (which refuses work when full).
   */
  public TimeSeriesServiceImpl(
      IntervalStore store,
      IntervalValuesReader reader,
      QueryCache cache,
      ExecutorService queries,
      ServerConfig.QueryLimits limits,
      Metrics metrics) {
    this.store = store;
    this.reader = reader;
    this.cache = cache;
    this.calls = new StoreCalls(queries, limits, metrics);
    this.limits = limits;
    this.metrics = metrics;
  }

  @Override
  public void listTimeSeries(
      ListTimeSeriesRequest request, StreamObserver<ListTimeSeriesResponse> responses) {
    int pageSize = request.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : request.getPageSize();
    if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      fail(
          responses,
          Status.INVALID_ARGUMENT.withDescription(
              "page_size must be between 1 and "
                  + MAX_PAGE_SIZE
                  + " (0 for "
                  + DEFAULT_PAGE_SIZE
                  + "), got "
                  + request.getPageSize()));
      return;
    }
    if (request.getNamePrefix().length() > SeriesNames.MAX_LENGTH) {
      fail(
          responses,
          Status.INVALID_ARGUMENT.withDescription(
              "name_prefix is "
                  + request.getNamePrefix().length()
                  + " characters; series names have at most "
                  + SeriesNames.MAX_LENGTH));
      return;
    }
    submit(
        responses,
        deadline -> {
          SeriesPage page;
          try {
            page =
                store.listSeries(
                    request.getNamePrefix(),
                    pageSize,
                    request.getPageToken(),
                    StoreCalls.timeLeft(deadline));
          } catch (IllegalArgumentException e) {
            throw new InvalidQueryException(
                "page_token is not one this service issued: pass the next_page_token of the"
                    + " previous page, or empty for the first");
          }
          ListTimeSeriesResponse.Builder response =
              ListTimeSeriesResponse.newBuilder().setNextPageToken(page.nextPageToken());
          for (SeriesInfo info : page.series()) {
            response.addSeries(
                TimeSeries.newBuilder()
                    .setName(info.name())
                    .setAggregateFunction(
                        IntervalValuesReader.toProto(Aggregation.of(info.function())))
                    .setFirstSeen(IntervalValuesReader.timestamp(info.firstSeen()))
                    .setLastSeen(IntervalValuesReader.timestamp(info.lastSeen())));
          }
          responses.onNext(response.build());
          responses.onCompleted();
        });
  }

  @Override
  public void getIntervalValues(
      GetIntervalValuesRequest request, StreamObserver<GetIntervalValuesResponse> responses) {
    IntervalQuery query;
    try {
      query = IntervalQuery.parse(request);
    } catch (InvalidQueryException e) {
      fail(responses, Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
      return;
    }
    // The hot path: an answer held in process costs no thread hand-off.
    GetIntervalValuesResponse held = cache.getIfPresent(query, request.getNoCache());
    if (held != null) {
      responses.onNext(held);
      responses.onCompleted();
      return;
    }
    submit(
        responses,
        deadline -> {
          responses.onNext(
              cache.get(query, request.getNoCache(), deadline, () -> reader.read(query, deadline)));
          responses.onCompleted();
        });
  }

  /**
   * Runs {@code work} on the query pool within the call's deadline (capped by the query timeout)
   * and answers every failure with a status ({@link StoreCalls}).
   */
  private void submit(StreamObserver<?> responses, StoreCalls.Work work) {
    calls.submit(responses, "interval store", this::statusOf, work);
  }

  /** The statuses of the query's own failures; null for a store failure or a bug. */
  private Status statusOf(Exception e) {
    if (e instanceof InvalidQueryException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
    }
    if (e instanceof RowLimitException) {
      metrics.rejectedTooManyRows();
      return Status.RESOURCE_EXHAUSTED.withDescription(
          "the query would read more than "
              + limits.maxRows()
              + " rows from the store (the server's EVENTFLOW_MAX_ROWS): ask for a shorter"
              + " range, or a granularity of an hour or more with the series' own"
              + " aggregate function, which reads quarter-hour rows (15 times fewer)");
    }
    if (e instanceof StoreTimeoutException) {
      return Status.DEADLINE_EXCEEDED.withDescription(
          "the query did not finish within its deadline (at most "
              + describe(limits.timeout())
              + ", the server's EVENTFLOW_QUERY_TIMEOUT) and was cancelled in the store");
    }
    return null;
  }

  private static String describe(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private static void fail(StreamObserver<?> responses, Status status) {
    StoreCalls.fail(responses, status);
  }
}
