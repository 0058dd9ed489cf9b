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
        BrokerMain.parse(
            "--data-dir",
            "/tmp/x",
            "--port=9000",
            "--fsync",
            "always",
            "--compaction-ratio",
            "0.8",
            "--compaction-rate",
            "1048576");
    assertThat(config.dataDir()).contains(Path.of("/tmp/x"));
    assertThat(config.port()).isEqualTo(9000);
    assertThat(config.fsync()).isEqualTo(FsyncPolicy.ALWAYS);
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.compactionMinReclaimRatio()).isEqualTo(0.8);
    assertThat(config.compactionBytesPerSecond()).isEqualTo(1048576);
  }

  @Test
  void inMemoryUsesEmulatorDefaultPort() throws Exception {
    BrokerConfig config = BrokerMain.parse("--in-memory");
    assertThat(config.dataDir()).isEmpty();
    assertThat(config.port()).isEqualTo(8085);
  }

  @Test
  void badFlagsExplainThemselvesInOneLine() {
    // Picocli's messages, cut to their first line.
    assertThatThrownBy(() -> BrokerMain.parse("--port", "eighty", "--in-memory"))
        .hasMessage("Invalid value for option '--port': 'eighty' is not an int");
    assertThatThrownBy(() -> BrokerMain.parse("--in-memory", "--fsync", "sometimes"))
        .hasMessageContaining("always, interval, never");
    assertThatThrownBy(() -> BrokerMain.parse("--verbose", "--in-memory"))
        .hasMessage("Unknown option: '--verbose'");
    assertThatThrownBy(() -> BrokerMain.parse())
        .hasMessageContaining("(--data-dir=DIR | --in-memory)")
        .hasMessageNotContaining("\n");
    assertThatThrownBy(() -> BrokerMain.parse("--in-memory", "--data-dir", "/tmp/x"))
        .hasMessageContaining("mutually exclusive");
    assertThatThrownBy(() -> BrokerMain.parse("--in-memory", "--data-dir"))
        .hasMessageContaining("'--data-dir'");
    assertThatThrownBy(() -> BrokerMain.parse("--in-memory", "--max-pending-bytes", "0"))
        .hasMessageContaining("pending batch bound");
    assertThatThrownBy(() -> BrokerMain.parse("--in-memory", "--compaction-ratio", "1.5"))
        .hasMessage("the compaction ratio must be above 0 and at most 1, got 1.5");
    assertThatThrownBy(() -> BrokerMain.parse("--in-memory", "--compaction-rate", "10"))
        .hasMessage("the compaction rate must be at least 1024 bytes per second, got 10");
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
    assertThat(err.strip()).isEqualTo("eventflow-broker: Unknown option: '--bogus' (try --help)");
  }
}
