package io.eventflow.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium, headless, driven through its chromedriver on a free port, for tests that run
 * eventflow.js in a real browser. Where either binary is missing the test is skipped with a message
 * saying how to install them, except under CI ({@code CI=true}), where {@code .ci/run} installs
 * them and a skip would hide a test that never ran: there it fails.
 *
 * <p>A module that uses it declares {@code selenium-chrome-driver} itself (test scope): this module
 * only compiles against it.
 */
public final class HeadlessChromium implements AutoCloseable {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private final ChromeDriver driver;

  private HeadlessChromium(ChromeDriver driver) {
    this.driver = driver;
  }

  /**
   * Starts chromium, or skips the calling test where it is not installed (fails under {@code
   * CI=true}).
   */
  public static HeadlessChromium start() {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!installed && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(
          "chromium and chromedriver are not installed, and CI=true: .ci/run should have installed"
              + " them (apt-get install chromium chromium-driver)");
    }
    assumeTrue(
        installed,
        "skipped: no /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium"
            + " chromium-driver)");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // No background networking: this machine's closed network refuses Google's hosts at every
    // start.
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run");
    return new HeadlessChromium(
        new ChromeDriver(
            new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build(),
            options));
  }

  /** Returns the driver: pages, scripts ({@code JavascriptExecutor}), navigation. */
  public ChromeDriver driver() {
    return driver;
  }

  /** Quits the browser and its driver. */
  @Override
  public void close() {
    driver.quit();
  }
}
