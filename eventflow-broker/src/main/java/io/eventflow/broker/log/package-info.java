/** The durable storage: segmented append-only message logs and per-subscription ack journals. */
package io.eventflow.broker.log;
