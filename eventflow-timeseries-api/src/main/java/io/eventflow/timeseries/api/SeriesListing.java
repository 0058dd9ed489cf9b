package io.eventflow.timeseries.api;

import java.util.List;

/**
 * One page of the series catalog.
 *
 * @param series the series of the page, in name order
 * @param nextPageToken the token of the next page, empty on the last page
 */
public record SeriesListing(List<SeriesSummary> series, String nextPageToken) {
  /** Copies the list so the page is immutable. */
  public SeriesListing {
    series = List.copyOf(series);
  }
}
