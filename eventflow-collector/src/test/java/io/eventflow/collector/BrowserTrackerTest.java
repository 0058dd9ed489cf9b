package io.eventflow.collector;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import com.sun.net.httpserver.HttpServer;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import io.eventflow.testing.Await;
import io.eventflow.testing.HeadlessChromium;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * eventflow.js in a real headless browser (Debian's chromium through chromedriver): a page on
 * another origin loads the tracker from the collector, tracks events, and they reach the events
 * topic through the real broker, by fetch while the page is open and by sendBeacon when it is left.
 * Skipped with a message where chromium is not installed, except under {@code CI=true} ({@code
 * .ci/run} installs it), where its absence fails the test.
 */
class BrowserTrackerTest {
  @TempDir Path dir;
  private CollectorFixture fixture;
  private HttpServer site;
  private HeadlessChromium chromium;
  private ChromeDriver browser;

  @BeforeEach
  void start() throws Exception {
    // First, so that a machine without chromium skips before starting anything.
    chromium = HeadlessChromium.start();
    browser = chromium.driver();
    fixture = CollectorFixture.start(dir.resolve("broker"), c -> c.corsOrigin("*"));
    // The page lives on its own origin (another port), as a shop's pages would.
    site = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    site.createContext(
        "/",
        exchange -> {
          byte[] page = page().getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
          exchange.sendResponseHeaders(200, page.length);
          exchange.getResponseBody().write(page);
          exchange.close();
        });
    site.start();
  }

  private String page() {
    return "<!doctype html><html><head><script src=\""
        + fixture.collector.url()
        + "/eventflow.js\"></script></head><body><script>"
        + "eventflow.init({ batchSize: 3, flushInterval: 60000 });"
        + "</script></body></html>";
  }

  @AfterEach
  void stop() throws Exception {
    if (chromium != null) {
      chromium.close();
    }
    if (site != null) {
      site.stop(0);
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  /**
   * Three events fill a batch and go out by fetch; two more wait for the minute-long flush interval
   * until the page is left, and go out by sendBeacon; all five arrive with the ids the page gave
   * them and their attributes typed.
   */
  @Test
  void aPageTracksEventsByFetchAndBySendBeaconOnLeaving() throws Exception {
    browser.get("http://127.0.0.1:" + site.getAddress().getPort() + "/");
    JavascriptExecutor js = browser;
    for (int i = 0; i < 3; i++) {
      js.executeScript(
          "window.ids = (window.ids || []).concat(eventflow.track('view', {page: '/p', n: "
              + i
              + ", first: "
              + (i == 0)
              + ", ratio: 0.5}));");
    }
    @SuppressWarnings("unchecked")
    java.util.List<String> batchIds =
        (java.util.List<String>) js.executeScript("return window.ids;");
    // The full batch went out by fetch while the page is open.
    Await.until(
        "the first batch is accepted",
        () -> fixture.metric("eventflow.collector.events.accepted") == 3.0);

    String leftA = (String) js.executeScript("return eventflow.track('leave', {n: 1});");
    String leftB = (String) js.executeScript("return eventflow.track('leave', {n: 2});");
    assertThat(js.executeScript("return eventflow.stats().queued;")).isEqualTo(2L);
    browser.get("about:blank"); // pagehide: the queue goes out by sendBeacon

    Map<String, PubsubMessage> all = fixture.pull(5);
    assertThat(all)
        .containsOnlyKeys(batchIds.get(0), batchIds.get(1), batchIds.get(2), leftA, leftB);
    Event view = CollectorFixture.event(all.get(batchIds.get(0)));
    assertThat(view.getType()).isEqualTo("view");
    assertThat(view.getSource()).isEqualTo(CollectorConfig.DEFAULT_SOURCE);
    assertThat(view.getAttributesOrThrow("n")).isEqualTo(AttributeValues.of(0L));
    assertThat(view.getAttributesOrThrow("first")).isEqualTo(AttributeValues.of(true));
    assertThat(view.getAttributesOrThrow("ratio")).isEqualTo(AttributeValues.of(0.5));
    assertThat(view.getAttributesOrThrow("page")).isEqualTo(AttributeValues.of("/p"));
    assertThat(view.getId())
        .matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  }
}
