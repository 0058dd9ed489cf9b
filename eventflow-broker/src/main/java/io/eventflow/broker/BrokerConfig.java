package io.eventflow.broker;

import io.eventflow.broker.log.FsyncPolicy;
import io.eventflow.broker.log.LogConfig;
import io.eventflow.broker.log.ReclaimObserver;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How a {@link Broker} runs: where it listens, where (and whether) it stores data, and how hard it
 * tries to keep it. Build with {@link #builder()}; every setting has a documented default.
 */
public final class BrokerConfig {

  /**
   * 32 MiB/s: a 64 MiB segment is compacted in about two seconds, while copying at that pace costs
   * a small share of one core (figures in docs/BENCHMARKS.md, Broker), so publishers keep the rest.
   */
  public static final long DEFAULT_COMPACTION_BYTES_PER_SECOND = 32L * 1024 * 1024;

  private final String host;
  private final int port;
  @Nullable private final Path dataDir;
  private final FsyncPolicy fsync;
  private final Duration fsyncInterval;
  private final long segmentBytes;
  private final Clock clock;
  private final Duration leaseCheckInterval;
  private final Duration retentionCheckInterval;
  private final Duration pullWait;
  private final long maxPendingPublishBytes;
  private final double compactionMinReclaimRatio;
  private final long compactionBytesPerSecond;
  private final ReclaimObserver reclaimObserver;

  private BrokerConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.dataDir = b.dataDir;
    this.fsync = b.fsync;
    this.fsyncInterval = b.fsyncInterval;
    this.segmentBytes = b.segmentBytes;
    this.clock = b.clock;
    this.leaseCheckInterval = b.leaseCheckInterval;
    this.retentionCheckInterval = b.retentionCheckInterval;
    this.pullWait = b.pullWait;
    this.maxPendingPublishBytes = b.maxPendingPublishBytes;
    this.compactionMinReclaimRatio = b.compactionMinReclaimRatio;
    this.compactionBytesPerSecond = b.compactionBytesPerSecond;
    this.reclaimObserver = b.reclaimObserver;
  }

  /** A builder with the defaults: loopback, a free port, in memory, fsync every second. */
  public static Builder builder() {
    return new Builder();
  }

  /** The address to bind; loopback by default so a laptop's broker is not on the network. */
  public String host() {
    return host;
  }

  /** The port to bind; 0 picks a free one (read it back from {@link Broker#port()}). */
  public int port() {
    return port;
  }

  /** The data directory, or empty when the broker keeps everything in memory. */
  public Optional<Path> dataDir() {
    return Optional.ofNullable(dataDir);
  }

  /** When log and journal writes are forced to disk. */
  public FsyncPolicy fsync() {
    return fsync;
  }

  /** How often {@link FsyncPolicy#INTERVAL} forces. */
  public Duration fsyncInterval() {
    return fsyncInterval;
  }

  /** The segment layout of every topic log. */
  public LogConfig logConfig() {
    return new LogConfig(segmentBytes, fsync, maxPendingPublishBytes);
  }

  /** The clock that stamps publish times and runs ack deadlines; tests inject a manual one. */
  public Clock clock() {
    return clock;
  }

  /** How often expired ack deadlines are looked for (the granularity of redelivery). */
  public Duration leaseCheckInterval() {
    return leaseCheckInterval;
  }

  /**
   * How often the background pass runs that deletes the log segments nothing needs and compacts the
   * mostly unneeded ones.
   */
  public Duration retentionCheckInterval() {
    return retentionCheckInterval;
  }

  /**
   * A sealed segment is compacted once the records nothing needs make up at least this fraction of
   * its bytes.
   */
  public double compactionMinReclaimRatio() {
    return compactionMinReclaimRatio;
  }

  /** How many bytes per second compaction may read from the segments it rewrites. */
  public long compactionBytesPerSecond() {
    return compactionBytesPerSecond;
  }

  /** Told each step of every segment deletion and compaction (tests stop the process there). */
  ReclaimObserver reclaimObserver() {
    return reclaimObserver;
  }

  /** How long a Pull without {@code return_immediately} waits for messages before answering. */
  public Duration pullWait() {
    return pullWait;
  }

  /** Builds a {@link BrokerConfig}. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 0;
    @Nullable private Path dataDir;
    private FsyncPolicy fsync = FsyncPolicy.INTERVAL;
    private Duration fsyncInterval = Duration.ofSeconds(1);
    private long segmentBytes = LogConfig.DEFAULT_SEGMENT_BYTES;
    private Clock clock = Clock.systemUTC();
    private Duration leaseCheckInterval = Duration.ofMillis(100);
    private Duration retentionCheckInterval = Duration.ofMinutes(1);
    private Duration pullWait = Duration.ofSeconds(5);
    private long maxPendingPublishBytes = LogConfig.DEFAULT_MAX_PENDING_BYTES;
    private double compactionMinReclaimRatio = 0.5;
    private long compactionBytesPerSecond = DEFAULT_COMPACTION_BYTES_PER_SECOND;
    private ReclaimObserver reclaimObserver = ReclaimObserver.NONE;

    private Builder() {}

    /** Sets the bind address (default {@code 127.0.0.1}). */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /** Sets the port (default 0: a free port). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
      }
      this.port = port;
      return this;
    }

    /** Stores data durably under {@code dir} (default: none, in memory). */
    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    /** Keeps everything in memory: nothing survives {@link Broker#close()} (the default). */
    public Builder inMemory() {
      this.dataDir = null;
      return this;
    }

    /** Sets the fsync policy (default {@link FsyncPolicy#INTERVAL}). */
    public Builder fsync(FsyncPolicy fsync) {
      this.fsync = fsync;
      return this;
    }

    /** Sets how often {@link FsyncPolicy#INTERVAL} forces (default 1 s). */
    public Builder fsyncInterval(Duration interval) {
      this.fsyncInterval = positive(interval, "fsync interval");
      return this;
    }

    /** Sets the size at which log segments roll (default 64 MiB). */
    public Builder segmentBytes(long bytes) {
      this.segmentBytes = bytes;
      return this;
    }

    /** Sets the clock (default the system UTC clock). */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Sets how often expired ack deadlines are looked for (default 100 ms). */
    public Builder leaseCheckInterval(Duration interval) {
      this.leaseCheckInterval = positive(interval, "lease check interval");
      return this;
    }

    /** Sets how often deletion and compaction run (default 1 min). */
    public Builder retentionCheckInterval(Duration interval) {
      this.retentionCheckInterval = positive(interval, "retention check interval");
      return this;
    }

    /** Sets how long a waiting Pull waits for messages (default 5 s). */
    public Builder pullWait(Duration wait) {
      this.pullWait = positive(wait, "pull wait");
      return this;
    }

    /**
     * Sets how many bytes of records a topic's log may hold waiting for the disk before publishes
     * are answered RESOURCE_EXHAUSTED (default 32 MiB; see {@link LogConfig#maxPendingBytes()}).
     */
    public Builder maxPendingPublishBytes(long bytes) {
      this.maxPendingPublishBytes = bytes;
      return this;
    }

    /**
     * Sets the fraction of a sealed segment's bytes that must be unneeded before it is compacted
     * (default 0.5): above 0, at most 1.
     */
    public Builder compactionMinReclaimRatio(double ratio) {
      if (!(ratio > 0 && ratio <= 1)) {
        throw new IllegalArgumentException(
            "the compaction ratio must be above 0 and at most 1, got " + ratio);
      }
      this.compactionMinReclaimRatio = ratio;
      return this;
    }

    /** Sets how many bytes per second compaction may read (default 32 MiB/s). */
    public Builder compactionBytesPerSecond(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException(
            "the compaction rate must be at least 1024 bytes per second, got " + bytes);
      }
      this.compactionBytesPerSecond = bytes;
      return this;
    }

    /** Tells {@code observer} each step of every deletion and compaction (crash tests). */
    Builder reclaimObserver(ReclaimObserver observer) {
      this.reclaimObserver = observer;
      return this;
    }

    /** Validates and builds the config. */
    public BrokerConfig build() {
      new LogConfig(segmentBytes, fsync, maxPendingPublishBytes);
      return new BrokerConfig(this);
    }

    private static Duration positive(Duration d, String what) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
