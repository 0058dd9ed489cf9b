package io.eventflow.common;

import java.util.Optional;

/**
 * How an event payload is encoded, as named by the {@link MessageAttributes#CONTENT_TYPE}
 * attribute.
 */
public enum ContentType {
  /** Binary protobuf, the default: smallest and fastest to parse. */
  PROTOBUF("application/protobuf"),
  /** Proto3 JSON, as printed by {@link EventJson}. */
  JSON("application/json");

  private final String mimeType;

  ContentType(String mimeType) {
    this.mimeType = mimeType;
  }

  /** Returns the attribute value naming this content type. */
  public String mimeType() {
    return mimeType;
  }

  /**
   * Returns the content type an attribute value names, ignoring case and parameters such as {@code
   * ; charset=utf-8}, or empty when the value names no content type eventflow reads.
   */
  public static Optional<ContentType> fromMimeType(String value) {
    int semicolon = value.indexOf(';');
    String bare = (semicolon < 0 ? value : value.substring(0, semicolon)).trim();
    for (ContentType type : values()) {
      if (type.mimeType.equalsIgnoreCase(bare)) {
        return Optional.of(type);
      }
    }
    // The pre-RFC name many protobuf producers still send.
    if (bare.equalsIgnoreCase("application/x-protobuf")) {
      return Optional.of(PROTOBUF);
    }
    return Optional.empty();
  }
}
