/** The event format every eventflow module shares: attribute names, ids, the JSON codec, rules. */
package io.eventflow.common;
