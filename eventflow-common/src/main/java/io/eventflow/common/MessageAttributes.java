package io.eventflow.common;

/**
 * Names of the Pub/Sub message attributes eventflow sets on every event message.
 *
 * <p>They duplicate a few event fields outside the payload so that ingest can deduplicate by id
 * without parsing, Beam can read event time from {@link #TIMESTAMP}, and subscriptions can filter
 * by type, source or customer.
 */
public final class MessageAttributes {
  /** The event id; ingest requires it to equal the payload's id and deduplicates on it. */
  public static final String ID = "event.id";

  /** The event timestamp in RFC 3339 (UTC, as {@code Timestamps.toString} prints it). */
  public static final String TIMESTAMP = "event.timestamp";

  /** The event type. */
  public static final String TYPE = "event.type";

  /** The event source. */
  public static final String SOURCE = "event.source";

  /** The event customer; absent when the event has none. */
  public static final String CUSTOMER = "event.customer";

  /** The payload encoding, one of the {@link ContentType} values. */
  public static final String CONTENT_TYPE = "content-type";

  private MessageAttributes() {}
}
