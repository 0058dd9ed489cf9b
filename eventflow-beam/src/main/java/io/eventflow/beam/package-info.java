/** Beam building blocks the ingest and rollups jobs share. */
package io.eventflow.beam;
