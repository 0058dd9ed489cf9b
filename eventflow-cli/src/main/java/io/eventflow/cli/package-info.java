/** The {@code eventflow} command line: publishing events from files and a synthetic feed. */
package io.eventflow.cli;
