/** The services' meter registries: Prometheus always, Cloud Monitoring when configured. */
package io.eventflow.metrics;
