package io.eventflow.common;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Entity;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules an {@link Entity} must follow before it is stored, and its JSON line format ({@code
 * {"kind":"customer","key":"acme","attributes":{"plan":{"stringValue":"gold"}}}}, the proto3 JSON
 * of the message).
 */
public final class Entities {
  /** Longest kind: kinds are a handful of short names such as {@code customer}. */
  public static final int MAX_KIND_LENGTH = 64;

  /** Longest key, the same bound as a series name component can carry. */
  public static final int MAX_KEY_LENGTH = 1024;

  /**
   * Most attributes per entity: each may become a BigQuery column value and a Pub/Sub attribute.
   */
  public static final int MAX_ATTRIBUTES = 64;

  /** Longest attribute name. */
  public static final int MAX_ATTRIBUTE_NAME_LENGTH = 128;

  private static final Pattern KIND = Pattern.compile("[a-z0-9_-]+");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private Entities() {}

  /**
   * Parses one JSON line into a checked entity.
   *
   * @throws IllegalArgumentException naming what is wrong with the line
   */
  public static Entity parse(String json) {
    Entity.Builder entity = Entity.newBuilder();
    try {
      PARSER.merge(json, entity);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an entity in proto3 JSON: " + e.getMessage(), e);
    }
    return check(entity.build());
  }

  /**
   * Returns the entity if it may be stored.
   *
   * @throws IllegalArgumentException naming the first rule it breaks
   */
  public static Entity check(Entity entity) {
    checkKind(entity.getKind());
    checkKey(entity.getKey());
    if (entity.getAttributesCount() > MAX_ATTRIBUTES) {
      throw new IllegalArgumentException(
          "more than " + MAX_ATTRIBUTES + " attributes: " + entity.getAttributesCount());
    }
    for (Map.Entry<String, AttributeValue> a : entity.getAttributesMap().entrySet()) {
      String name = a.getKey();
      if (name.length() > MAX_ATTRIBUTE_NAME_LENGTH || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "attribute name \""
                + name
                + "\": use 1 to "
                + MAX_ATTRIBUTE_NAME_LENGTH
                + " ASCII letters, digits, '_' or '-' (it becomes a column and Pub/Sub attribute name)");
      }
      if (a.getValue().getValueCase() == AttributeValue.ValueCase.VALUE_NOT_SET) {
        throw new IllegalArgumentException("attribute \"" + name + "\" has no value");
      }
    }
    return entity;
  }

  /**
   * Checks an entity kind.
   *
   * @throws IllegalArgumentException if it is not 1 to 64 lower-case letters, digits, '_' or '-'
   */
  public static String checkKind(String kind) {
    if (kind.length() > MAX_KIND_LENGTH || !KIND.matcher(kind).matches()) {
      throw new IllegalArgumentException(
          "kind \""
              + kind
              + "\": use 1 to "
              + MAX_KIND_LENGTH
              + " lower-case letters, digits, '_' or '-'");
    }
    return kind;
  }

  /**
   * Checks an entity key.
   *
   * @throws IllegalArgumentException if it is blank or longer than 1,024 characters
   */
  public static String checkKey(String key) {
    if (key.isBlank()) {
      throw new IllegalArgumentException("key is empty or blank");
    }
    if (key.length() > MAX_KEY_LENGTH) {
      throw new IllegalArgumentException(
          "key longer than " + MAX_KEY_LENGTH + " characters: " + key.length());
    }
    return key;
  }

  /** Returns the entity as one line of proto3 JSON. */
  public static String print(Entity entity) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(entity);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("an entity always prints", e);
    }
  }
}
