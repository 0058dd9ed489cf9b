/** A durable, embeddable event log that serves the Pub/Sub v1 API over gRPC and REST. */
package io.eventflow.broker;
