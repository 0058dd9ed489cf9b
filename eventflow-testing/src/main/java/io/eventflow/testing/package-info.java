/** Test support the eventflow modules share; a test-scoped dependency only. */
package io.eventflow.testing;
