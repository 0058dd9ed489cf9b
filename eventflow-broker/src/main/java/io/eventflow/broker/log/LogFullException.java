package io.eventflow.broker.log;

import java.io.IOException;

/**
 * An append refused because the records waiting for the disk already fill the pending batch: the
 * disk is slower than the publishers. Nothing of the refused append was written or assigned an
 * offset, so the caller may retry it as is.
 */
public final class LogFullException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with its one-line explanation. */
  public LogFullException(String message) {
    super(message);
  }
}
