/**
 * The streaming ingest job: Pub/Sub messages to validated events in BigQuery, Pub/Sub and files.
 */
package io.eventflow.ingest;
