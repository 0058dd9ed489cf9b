package io.eventflow.local;

import com.sun.net.httpserver.HttpServer;
import io.eventflow.testing.Await;
import io.eventflow.testing.HeadlessChromium;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * A web page tracks events with eventflow.js, loaded from the local stack's collector, in a real
 * headless browser (Debian's chromium), and they become series: what a user of {@code ./eventflow
 * local} sees after adding the tracker's script tag to a page. Two events go out by fetch as a full
 * batch, one by sendBeacon when the page is left. Skipped where chromium is not installed, except
 * under {@code CI=true}.
 */
class LocalBrowserTest {
  @TempDir Path dir;

  /** Longer than the 5-minute default: a cold Flink start and up to 4 minutes for the answer. */
  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void eventsTrackedByAPageBecomeSeries() throws Exception {
    try (HeadlessChromium chromium = HeadlessChromium.start()) {
      LocalStack stack =
          LocalStack.start(
              LocalConfig.defaults()
                  .withDataDir(dir)
                  .withPorts(0, 0, -1)
                  .withRollups("view:sum:ms")
                  .withCollector(0));
      HttpServer site = null;
      try {
        String collector = stack.collectorUrl().orElseThrow();
        // The page is on its own origin, as a site's pages would be: the local collector answers
        // CORS for any origin (it listens on loopback only).
        String page =
            "<!doctype html><html><head><script src=\""
                + collector
                + "/eventflow.js\"></script></head><body><script>"
                + "eventflow.init({ batchSize: 2, flushInterval: 60000 });"
                + "</script></body></html>";
        site = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        site.createContext(
            "/",
            exchange -> {
              byte[] body = page.getBytes(StandardCharsets.UTF_8);
              exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
              exchange.sendResponseHeaders(200, body.length);
              exchange.getResponseBody().write(body);
              exchange.close();
            });
        site.start();
        Instant before = Instant.now();

        ChromeDriver browser = chromium.driver();
        browser.get("http://127.0.0.1:" + site.getAddress().getPort() + "/");
        JavascriptExecutor js = browser;
        js.executeScript("eventflow.track('view', {ms: 120});");
        js.executeScript("eventflow.track('view', {ms: 80});"); // a full batch: sent by fetch
        Await.until(
            "the page's first batch is confirmed",
            Duration.ofMinutes(1),
            () -> ((Number) js.executeScript("return eventflow.stats().queued;")).longValue() == 0);
        js.executeScript("eventflow.track('view', {ms: 40});");
        browser.get("about:blank"); // pagehide: the queued event goes out by sendBeacon

        LocalSeries.assertTotal(stack, "view.count", 3.0, before);
        LocalSeries.assertTotal(stack, "view.ms.sum", 240.0, before);
      } finally {
        if (site != null) {
          site.stop(0);
        }
        stack.close();
      }
    }
  }
}
