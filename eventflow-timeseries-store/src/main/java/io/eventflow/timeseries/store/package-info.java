/**
 * Interval storage shared by the rollups job (writes) and the query service (reads), with no Beam
 * on its classpath: the row model, the read and write ports, and their Spanner and JDBC adapters.
 */
package io.eventflow.timeseries.store;
