package io.eventflow.common;

/** Generates unique event ids. Implementations must be thread-safe. */
@FunctionalInterface
public interface IdGenerator {
  /** Returns a new id, distinct from every id this generator returned before. */
  String nextId();
}
