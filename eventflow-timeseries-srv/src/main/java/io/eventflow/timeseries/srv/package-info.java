/**
 * The time-series query service: the gRPC endpoint, request checks, bucketing and aggregation in
 * any time zone, the two-level read-through cache and Prometheus metrics.
 */
package io.eventflow.timeseries.srv;
