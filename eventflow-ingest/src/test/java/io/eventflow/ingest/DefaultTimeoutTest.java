package io.eventflow.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The build gives every JUnit 5 test a default timeout (the root pom's {@code junit.timeouts},
 * passed to surefire and failsafe), so no test can hang the build. Checked here, in one module,
 * because a typo in that property would silently leave every module without it.
 */
class DefaultTimeoutTest {
  @RegisterExtension final ContextProbe probe = new ContextProbe();

  @Test
  void everyTestFailsAfterFiveMinutesUnlessItSaysOtherwise() {
    assertThat(probe.context.getConfigurationParameter("junit.jupiter.execution.timeout.default"))
        .hasValue("5 m");
    assertThat(probe.context.getConfigurationParameter("junit.jupiter.execution.timeout.mode"))
        .hasValue("disabled_on_debug");
  }

  /** Keeps the test's extension context, which carries the launcher's configuration. */
  static final class ContextProbe implements BeforeEachCallback {
    ExtensionContext context;

    @Override
    public void beforeEach(ExtensionContext context) {
      this.context = context;
    }
  }
}
