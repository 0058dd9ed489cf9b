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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * eventflow.js in a real headless browser (Debian's chromium through chromedriver): a page on
 * another origin loads the tracker from the collector, tracks events, and they reach the events
 * topic through the real broker, by fetch while the page is open and by sendBeacon when it is left;
 * a batch answered 503 is retried with backoff until it is accepted; the queue is bounded and kept
 * in localStorage for the next page. Skipped with a message where chromium is not installed, except
 * under {@code CI=true} ({@code .ci/run} installs it), where its absence fails the test.
 */
class BrowserTrackerTest {
  @TempDir Path dir;
  private CollectorFixture fixture;
  private HttpServer site;
  private HeadlessChromium chromium;
  private ChromeDriver browser;

  /** The options the page passes to {@code eventflow.init}. */
  private volatile String init = "{ batchSize: 3, flushInterval: 60000 }";

  @BeforeEach
  void start() throws Exception {
    // First, so that a machine without chromium skips before starting anything.
    chromium = HeadlessChromium.start();
    browser = chromium.driver();
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
        + "eventflow.init("
        + init
        + ");"
        + "</script></body></html>";
  }

  /** Starts the collector the page sends to, answering CORS for any origin. */
  private void startCollector(UnaryOperator<CollectorConfig.Builder> settings) throws Exception {
    fixture = CollectorFixture.start(dir.resolve("broker"), c -> settings.apply(c.corsOrigin("*")));
  }

  private void openPage() {
    browser.get("http://127.0.0.1:" + site.getAddress().getPort() + "/");
  }

  private long stat(String name) {
    return ((Number) browser.executeScript("return eventflow.stats()." + name + ";")).longValue();
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
    startCollector(c -> c);
    openPage();
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
    List<String> batchIds = (List<String>) js.executeScript("return window.ids;");
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

  /**
   * With the broker stopped the collector answers the page's batch 503; the page keeps the batch
   * and tries again after a backoff, and a full batch tracked meanwhile waits for it too instead of
   * going out at once. Once the broker is back a retry is accepted, and all four events arrive with
   * the ids the page gave them.
   */
  @Test
  void aBatchAnswered503IsRetriedWithBackoffUntilAccepted() throws Exception {
    startCollector(c -> c.acceptTimeout(Duration.ofSeconds(1)));
    init = "{ batchSize: 2, flushInterval: 60000 }";
    fixture.broker.stop();
    openPage();
    JavascriptExecutor js = browser;
    List<String> ids = new ArrayList<>();
    ids.add((String) js.executeScript("return eventflow.track('buy', {n: 1});"));
    ids.add((String) js.executeScript("return eventflow.track('buy', {n: 2});"));
    Await.until(
        "the page's batch is answered 503",
        () -> fixture.metric("eventflow.collector.unavailable") >= 1.0);

    // In one script, so no timer runs in between: while backing off (nothing under way), a second
    // full batch is queued, not sent.
    AtomicReference<List<?>> duringBackoff = new AtomicReference<>();
    Await.until(
        "two events are tracked while the page backs off",
        () -> {
          List<?> tracked =
              (List<?>)
                  js.executeScript(
                      "if (eventflow.stats().inFlight !== 0) { return null; }"
                          + " return [eventflow.track('buy', {n: 3}),"
                          + " eventflow.track('buy', {n: 4}), eventflow.stats().inFlight];");
          duringBackoff.set(tracked);
          return tracked != null;
        });
    assertThat(duringBackoff.get().get(2)).isEqualTo(0L);
    ids.add((String) duringBackoff.get().get(0));
    ids.add((String) duringBackoff.get().get(1));
    Await.until(
        "the page tried again, answered 503",
        () -> fixture.metric("eventflow.collector.unavailable") >= 2.0);
    assertThat(stat("queued")).isEqualTo(4);

    fixture.broker.restart();
    Await.until("a retry is accepted", Duration.ofSeconds(60), () -> stat("queued") == 0);
    assertThat(fixture.pull(4)).containsOnlyKeys(ids);
  }

  /**
   * The queue holds at most maxQueue events, dropping the oldest, and lives in localStorage: when
   * the browser refuses the beacon as the page is left (as it does past its size limit), the next
   * page of the site starts with what is queued and sends it, and only that. The broker is stopped
   * while the next page loads, so its request waits and the queue it loaded can be read.
   */
  @Test
  void theQueueIsBoundedAndWhatAPageCouldNotSendGoesOutFromTheNext() throws Exception {
    startCollector(c -> c);
    init = "{ batchSize: 100, flushInterval: 60000, maxQueue: 3 }";
    openPage();
    JavascriptExecutor js = browser;
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add((String) js.executeScript("return eventflow.track('scroll', {n: " + i + "});"));
    }
    List<String> kept = ids.subList(2, 5);
    assertThat(stat("queued")).isEqualTo(3);
    assertThat(stat("dropped")).isEqualTo(2);
    assertThat(
            js.executeScript(
                "return JSON.parse(localStorage.getItem('eventflow.queue')).map(e => e.id);"))
        .isEqualTo(kept);

    js.executeScript("Object.defineProperty(navigator, 'sendBeacon', { value: () => false });");
    browser.get("about:blank"); // pagehide: the beacon is refused, the queue stays stored
    fixture.broker.stop();
    openPage();
    assertThat(stat("queued")).isEqualTo(3);
    fixture.broker.restart();
    assertThat(fixture.pull(3)).containsOnlyKeys(kept);
    Await.until(
        "the next page's queue is empty", Duration.ofSeconds(60), () -> stat("queued") == 0);
  }
}
