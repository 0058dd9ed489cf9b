package io.eventflow.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** A free loopback port for a server a test starts in another process. */
public final class FreePort {
  private FreePort() {}

  /**
   * Returns a port that was free on the loopback address a moment ago (the OS hands out ports
   * round-robin, so another process taking it before the test's server binds is unlikely).
   */
  public static int loopback() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
