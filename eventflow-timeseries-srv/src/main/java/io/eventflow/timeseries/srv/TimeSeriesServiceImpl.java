package io.eventflow.timeseries.srv;

import io.eventflow.timeseries.api.pb.GetIntervalValuesRequest;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import io.eventflow.timeseries.api.pb.ListTimeSeriesRequest;
import io.eventflow.timeseries.api.pb.ListTimeSeriesResponse;
import io.eventflow.timeseries.api.pb.TimeSeries;
import io.eventflow.timeseries.api.pb.TimeSeriesServiceGrpc;
import io.eventflow.timeseries.store.IntervalStore;
import io.eventflow.timeseries.store.SeriesInfo;
import io.eventflow.timeseries.store.SeriesPage;
import io.eventflow.timeseries.store.StoreException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code TimeSeriesService} endpoint: checks requests, then answers through the cache and the
 * reader. Every failure is a status with a description: bad input is INVALID_ARGUMENT, a store
 * failure UNAVAILABLE (clients may retry), anything unexpected INTERNAL — never UNKNOWN.
 */
public final class TimeSeriesServiceImpl extends TimeSeriesServiceGrpc.TimeSeriesServiceImplBase {
  private static final Logger logger = Logger.getLogger(TimeSeriesServiceImpl.class.getName());

  /** The page size when the request leaves it 0. */
  static final int DEFAULT_PAGE_SIZE = 100;

  /** The largest page: a thousand catalog entries are about 100 KB on the wire. */
  static final int MAX_PAGE_SIZE = 1000;

  private final IntervalStore store;
  private final IntervalValuesReader reader;
  private final QueryCache cache;

  /** Creates the endpoint over a store, the reader answering from it, and the cache before it. */
  public TimeSeriesServiceImpl(IntervalStore store, IntervalValuesReader reader, QueryCache cache) {
    this.store = store;
    this.reader = reader;
    this.cache = cache;
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
    try {
      SeriesPage page = store.listSeries(request.getNamePrefix(), pageSize, request.getPageToken());
      ListTimeSeriesResponse.Builder response =
          ListTimeSeriesResponse.newBuilder().setNextPageToken(page.nextPageToken());
      for (SeriesInfo info : page.series()) {
        response.addSeries(
            TimeSeries.newBuilder()
                .setName(info.name())
                .setAggregateFunction(IntervalValuesReader.toProto(Aggregation.of(info.function())))
                .setFirstSeen(IntervalValuesReader.timestamp(info.firstSeen()))
                .setLastSeen(IntervalValuesReader.timestamp(info.lastSeen())));
      }
      responses.onNext(response.build());
      responses.onCompleted();
    } catch (IllegalArgumentException e) {
      fail(
          responses,
          Status.INVALID_ARGUMENT.withDescription(
              "page_token is not one this service issued: pass the next_page_token of the"
                  + " previous page, or empty for the first"));
    } catch (StoreException e) {
      fail(responses, unavailable(e));
    } catch (RuntimeException e) {
      fail(responses, internal(e));
    }
  }

  @Override
  public void getIntervalValues(
      GetIntervalValuesRequest request, StreamObserver<GetIntervalValuesResponse> responses) {
    try {
      IntervalQuery query = IntervalQuery.parse(request);
      GetIntervalValuesResponse response =
          cache.get(query, request.getNoCache(), () -> reader.read(query));
      responses.onNext(response);
      responses.onCompleted();
    } catch (InvalidQueryException e) {
      fail(responses, Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
    } catch (StoreException e) {
      fail(responses, unavailable(e));
    } catch (RuntimeException e) {
      fail(responses, internal(e));
    }
  }

  private static Status unavailable(StoreException e) {
    logger.log(Level.WARNING, "interval store failed", e);
    return Status.UNAVAILABLE.withDescription(
        "the interval store is unavailable: " + e.getMessage());
  }

  private static Status internal(RuntimeException e) {
    logger.log(Level.SEVERE, "query failed unexpectedly", e);
    return Status.INTERNAL.withDescription("internal error: " + e);
  }

  private static void fail(StreamObserver<?> responses, Status status) {
    responses.onError(status.asRuntimeException());
  }
}
