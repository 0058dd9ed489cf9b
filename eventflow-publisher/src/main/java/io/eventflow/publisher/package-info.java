/**
 * Publishing eventflow events to Pub/Sub: validation, message attributes, batching, flow control.
 */
package io.eventflow.publisher;
