/** The collector: HTTP and gRPC event sink on one port, and request/response processors. */
package io.eventflow.collector;
