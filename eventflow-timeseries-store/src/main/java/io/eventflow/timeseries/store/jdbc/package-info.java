/** The embedded interval store: an H2 database file, for the local stack and tests. */
package io.eventflow.timeseries.store.jdbc;
