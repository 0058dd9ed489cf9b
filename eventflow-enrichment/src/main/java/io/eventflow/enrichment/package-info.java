/** Entity lookups for enrichment through three levels: Caffeine, Redis and the entities table. */
package io.eventflow.enrichment;
