package io.eventflow.broker.filter;

/** A subscription filter that does not follow Pub/Sub's filter syntax; the message says where. */
public final class FilterSyntaxException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming the problem and its character position. */
  public FilterSyntaxException(String message) {
    super(message);
  }
}
