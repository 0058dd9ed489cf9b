package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.broker.log.FsyncPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The standalone broker's command line. */
class BrokerMainTest {

  @Test
  void flagsBecomeConfig() throws Exception {
    BrokerConfig config =
        BrokerMain.parse("--data-dir", "/tmp/x", "--port=9000", "--fsync", "always");
    assertThat(config.dataDir()).contains(Path.of("/tmp/x"));
    assertThat(config.port()).isEqualTo(9000);
    assertThat(config.fsync()).isEqualTo(FsyncPolicy.ALWAYS);
    assertThat(config.host()).isEqualTo("127.0.0.1");
  }

  @Test
  void inMemoryUsesEmulatorDefaultPort() throws Exception {
    BrokerConfig config = BrokerMain.parse("--in-memory");
    assertThat(config.dataDir()).isEmpty();
    assertThat(config.port()).isEqualTo(8085);
  }

  @Test
  void badFlagsExplainThemselvesInOneLine() {
    assertThatThrownBy(() -> BrokerMain.parse("--port", "eighty", "--in-memory"))
        .hasMessage("--port must be a number, got 'eighty'");
    assertThatThrownBy(() -> BrokerMain.parse("--in-memory", "--fsync", "sometimes"))
        .hasMessageContaining("always, interval, never");
    assertThatThrownBy(() -> BrokerMain.parse("--verbose", "--in-memory"))
        .hasMessage("unknown option '--verbose'");
    assertThatThrownBy(() -> BrokerMain.parse())
        .hasMessage("give exactly one of --data-dir DIR or --in-memory");
    assertThatThrownBy(() -> BrokerMain.parse("--in-memory", "--data-dir"))
        .hasMessage("--data-dir needs a value");
    assertThatThrownBy(() -> BrokerMain.parse("--in-memory", "--port", "70000"))
        .hasMessageContaining("between 0 and 65535");
  }

  /** The real main exits with status 2 and one line on stderr for a bad flag. */
  @Test
  void mainExitsWithStatusTwoOnBadFlag() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                BrokerMain.class.getName(),
                "--bogus")
            .start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isEqualTo(2);
    assertThat(err.strip()).isEqualTo("eventflow-broker: unknown option '--bogus' (try --help)");
  }
}
