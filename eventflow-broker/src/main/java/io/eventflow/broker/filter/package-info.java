/** Pub/Sub's subscription filter language over message attributes: parser and evaluator. */
package io.eventflow.broker.filter;
