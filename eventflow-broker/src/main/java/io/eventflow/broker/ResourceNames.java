package io.eventflow.broker;

import io.grpc.Status;
import java.util.regex.Pattern;

/**
 * Pub/Sub's resource-name rules: {@code projects/{project}/topics|subscriptions|snapshots/{id}}.
 */
final class ResourceNames {
  /** Pub/Sub: 3-255 characters, starting with a letter, from letters, digits and -_.~+%. */
  private static final Pattern ID = Pattern.compile("[A-Za-z][A-Za-z0-9\\-_.~+%]{2,254}");

  private static final Pattern PROJECT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9\\-.:]{0,99}");

  /** The topic name Pub/Sub gives subscriptions whose topic was deleted. */
  static final String DELETED_TOPIC = "_deleted-topic_";

  private ResourceNames() {}

  static void checkTopic(String name) {
    check(name, "topics");
  }

  static void checkSubscription(String name) {
    check(name, "subscriptions");
  }

  static void checkSnapshot(String name) {
    check(name, "snapshots");
  }

  static void checkProject(String name) {
    String[] parts = name.split("/", -1);
    if (parts.length != 2 || !parts[0].equals("projects") || !PROJECT.matcher(parts[1]).matches()) {
      throw Status.INVALID_ARGUMENT
          .withDescription("Invalid project name: (name=" + name + "), expected projects/{project}")
          .asRuntimeException();
    }
  }

  /** The {@code projects/{project}} prefix of a valid resource name. */
  static String projectOf(String name) {
    int second = name.indexOf('/', "projects/".length());
    return name.substring(0, second);
  }

  private static void check(String name, String collection) {
    String[] parts = name.split("/", -1);
    boolean valid =
        parts.length == 4
            && parts[0].equals("projects")
            && PROJECT.matcher(parts[1]).matches()
            && parts[2].equals(collection)
            && ID.matcher(parts[3]).matches()
            && !parts[3].startsWith("goog");
    if (!valid) {
      throw Status.INVALID_ARGUMENT
          .withDescription(
              "Invalid ["
                  + collection
                  + "] name: (name="
                  + name
                  + "), expected projects/{project}/"
                  + collection
                  + "/{id} where id is 3-255 characters from letters, digits and -_.~+%,"
                  + " starts with a letter and does not start with 'goog'")
          .asRuntimeException();
    }
  }
}
