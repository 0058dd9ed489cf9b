package io.eventflow.timeseries.api;

import io.eventflow.timeseries.api.pb.ListTimeSeriesRequest;
import io.eventflow.timeseries.api.pb.ListTimeSeriesResponse;
import io.eventflow.timeseries.api.pb.TimeSeries;
import io.eventflow.timeseries.api.pb.TimeSeriesServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A small blocking client of {@code TimeSeriesService} in java.time terms. It owns its channel and
 * closes it. Failed calls throw {@link StatusRuntimeException} with the server's status and
 * description (e.g. {@code INVALID_ARGUMENT: unknown time zone "Mars/Olympus"}).
 */
public final class TimeSeriesClient implements AutoCloseable {
  /**
   * The deadline of each call unless told otherwise: a day of minute rows aggregates in about a
   * millisecond, so 30 seconds only trips on a stuck server or store.
   */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  /** How long {@link #close()} waits for calls in flight before cancelling them. */
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  private final ManagedChannel channel;
  private final TimeSeriesServiceGrpc.TimeSeriesServiceBlockingStub stub;
  private final Duration deadline;

  /** Creates a client over the given channel, which it takes over and closes. */
  public TimeSeriesClient(ManagedChannel channel) {
    this(channel, DEFAULT_DEADLINE);
  }

  /** Creates a client over the given channel with a per-call deadline. */
  public TimeSeriesClient(ManagedChannel channel, Duration deadline) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.deadline = Objects.requireNonNull(deadline, "deadline");
    this.stub = TimeSeriesServiceGrpc.newBlockingStub(channel);
  }

  /**
   * Connects to a server at {@code target} ({@code host:port}) over plaintext HTTP/2, as inside a
   * cluster or through a local port-forward.
   */
  public static TimeSeriesClient connect(String target) {
    return new TimeSeriesClient(
        Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build());
  }

  /**
   * Reads one page of the series catalog.
   *
   * @param prefix only series whose name starts with it; empty for all
   * @param pageSize the most series to return, 1 to 1000, or 0 for the server's default
   * @param pageToken the previous page's next-page token, or empty for the first page
   */
  public SeriesListing listSeries(String prefix, int pageSize, String pageToken) {
    ListTimeSeriesResponse response =
        stub()
            .listTimeSeries(
                ListTimeSeriesRequest.newBuilder()
                    .setNamePrefix(prefix)
                    .setPageSize(pageSize)
                    .setPageToken(pageToken)
                    .build());
    List<SeriesSummary> series = new ArrayList<>(response.getSeriesCount());
    for (TimeSeries s : response.getSeriesList()) {
      series.add(SeriesSummary.fromProto(s));
    }
    return new SeriesListing(series, response.getNextPageToken());
  }

  /** Reads every page of the series catalog under {@code prefix}, in name order. */
  public List<SeriesSummary> listAllSeries(String prefix) {
    List<SeriesSummary> all = new ArrayList<>();
    String token = "";
    do {
      SeriesListing page = listSeries(prefix, 0, token);
      all.addAll(page.series());
      token = page.nextPageToken();
    } while (!token.isEmpty());
    return all;
  }

  /** Reads the bucketed values of a series. */
  public SeriesValues get(SeriesQuery query) {
    return SeriesValues.fromResponse(query.name(), stub().getIntervalValues(query.toRequest()));
  }

  private TimeSeriesServiceGrpc.TimeSeriesServiceBlockingStub stub() {
    return stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Shuts the channel down, waiting up to five seconds for calls in flight. */
  @Override
  public void close() {
    Channels.close(channel, CLOSE_GRACE);
  }
}
