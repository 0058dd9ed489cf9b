package io.eventflow.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * One plain HTTP GET for probing a server a test started in another process: its status, or -1
 * while nothing answers. Used with {@link Await#until} to wait for a health endpoint.
 */
public final class HttpProbe {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private HttpProbe() {}

  /** Returns the status of {@code GET uri}, or -1 if the connection failed or timed out (5 s). */
  public static int status(URI uri) {
    try {
      return get(uri).statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Returns the response to {@code GET uri} with its body as text.
   *
   * @throws IOException if nothing answered within 5 s
   */
  public static HttpResponse<String> get(URI uri) throws IOException {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while probing " + uri, e);
    }
  }
}
