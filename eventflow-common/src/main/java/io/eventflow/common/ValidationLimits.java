package io.eventflow.common;

import java.time.Duration;
import java.time.Instant;

/**
 * The configurable bounds of {@link EventValidator} and of ingest's payload checks.
 *
 * @param maxPayloadBytes the largest payload accepted, in bytes
 * @param maxAttributes the most attributes an event may carry
 * @param maxKeyLength the longest attribute key, in UTF-16 chars
 * @param maxStringLength the longest id, type, source, customer or string value, in UTF-16 chars
 * @param earliestTimestamp the earliest event timestamp accepted
 * @param maxFutureSkew how far after now an event timestamp may lie
 */
public record ValidationLimits(
    int maxPayloadBytes,
    int maxAttributes,
    int maxKeyLength,
    int maxStringLength,
    Instant earliestTimestamp,
    Duration maxFutureSkew) {

  /**
   * The defaults. A typical event is ~300 bytes; 256 KiB leaves room for rich events while keeping
   * a single message far below BigQuery's 10 MB row limit and Pub/Sub's 10 MB message limit. Events
   * before 2000 are almost always a zeroed or seconds-vs-milliseconds clock, and more than a day
   * ahead is a broken clock: both would land in partitions nobody queries.
   */
  public static final ValidationLimits DEFAULTS =
      new ValidationLimits(
          256 * 1024,
          256,
          256,
          64 * 1024,
          Instant.parse("2000-01-01T00:00:00Z"),
          Duration.ofHours(24));

  /** Checks that every limit is positive. */
  public ValidationLimits {
    if (maxPayloadBytes <= 0 || maxAttributes <= 0 || maxKeyLength <= 0 || maxStringLength <= 0) {
      throw new IllegalArgumentException("validation limits must be positive");
    }
    if (maxFutureSkew.isNegative()) {
      throw new IllegalArgumentException("maxFutureSkew must not be negative");
    }
  }

  /** Returns these limits with another payload size limit. */
  public ValidationLimits withMaxPayloadBytes(int value) {
    return new ValidationLimits(
        value, maxAttributes, maxKeyLength, maxStringLength, earliestTimestamp, maxFutureSkew);
  }

  /** Returns these limits with another attribute count limit. */
  public ValidationLimits withMaxAttributes(int value) {
    return new ValidationLimits(
        maxPayloadBytes, value, maxKeyLength, maxStringLength, earliestTimestamp, maxFutureSkew);
  }

  /** Returns these limits with another attribute key length limit. */
  public ValidationLimits withMaxKeyLength(int value) {
    return new ValidationLimits(
        maxPayloadBytes, maxAttributes, value, maxStringLength, earliestTimestamp, maxFutureSkew);
  }

  /** Returns these limits with another string length limit. */
  public ValidationLimits withMaxStringLength(int value) {
    return new ValidationLimits(
        maxPayloadBytes, maxAttributes, maxKeyLength, value, earliestTimestamp, maxFutureSkew);
  }

  /** Returns these limits with another earliest timestamp. */
  public ValidationLimits withEarliestTimestamp(Instant value) {
    return new ValidationLimits(
        maxPayloadBytes, maxAttributes, maxKeyLength, maxStringLength, value, maxFutureSkew);
  }

  /** Returns these limits with another future skew. */
  public ValidationLimits withMaxFutureSkew(Duration value) {
    return new ValidationLimits(
        maxPayloadBytes, maxAttributes, maxKeyLength, maxStringLength, earliestTimestamp, value);
  }
}
