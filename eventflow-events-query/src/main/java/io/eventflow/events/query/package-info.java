/**
 * SQL over raw events: listings and calendar-aligned samples of the events of one type in a time
 * range, generated once and run by the archive's embedded DuckDB or by BigQuery.
 */
package io.eventflow.events.query;
