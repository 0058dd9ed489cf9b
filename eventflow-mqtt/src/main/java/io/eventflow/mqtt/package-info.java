/** The MQTT ingestion bridge: device messages to eventflow events on Pub/Sub, without loss. */
package io.eventflow.mqtt;
