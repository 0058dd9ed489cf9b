package io.eventflow.common;

import io.eventflow.common.pb.InvalidReason;

/**
 * Why an event or message is invalid: a stable code for machines and a message for people.
 *
 * @param reason the stable reason code
 * @param message a human-readable description naming the offending field or value
 */
public record Violation(InvalidReason reason, String message) {}
