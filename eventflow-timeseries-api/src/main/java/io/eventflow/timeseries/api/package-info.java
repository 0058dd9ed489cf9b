/**
 * The time-series query API: a java.time client for {@code TimeSeriesService} and the output
 * formats of {@code eventflow series get}; the generated protobuf and gRPC code is in {@code .pb}.
 */
package io.eventflow.timeseries.api;
