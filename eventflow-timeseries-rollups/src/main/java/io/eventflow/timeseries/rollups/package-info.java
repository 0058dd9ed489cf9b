/**
 * The streaming rollups job: validated events become minute and quarter-hour interval rows of
 * count, sum, min and max series in Spanner or the embedded store.
 */
package io.eventflow.timeseries.rollups;
