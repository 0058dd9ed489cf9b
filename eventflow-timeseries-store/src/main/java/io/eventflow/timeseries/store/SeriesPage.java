package io.eventflow.timeseries.store;

import java.util.List;

/**
 * One page of the series catalog, in name order.
 *
 * @param series the entries of this page
 * @param nextPageToken the token that reads the next page, or empty on the last page
 */
public record SeriesPage(List<SeriesInfo> series, String nextPageToken) {}
