/** The production interval store in Cloud Spanner, through google-cloud-spanner's client. */
package io.eventflow.timeseries.store.spanner;
