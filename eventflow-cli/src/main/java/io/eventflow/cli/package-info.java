/**
 * The {@code eventflow} command line: publishing events from files, a synthetic feed, and querying
 * time series.
 */
package io.eventflow.cli;
