/**
 * JMH benchmarks for eventflow's performance targets, each beside the anchor it is compared with.
 */
package io.eventflow.benchmarks;
