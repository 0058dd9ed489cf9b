package io.eventflow.timeseries.rollups;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import io.eventflow.timeseries.store.Resolution;
import java.nio.charset.StandardCharsets;

/**
 * Derives a row id from everything that identifies the pane that produced a row, so a retried
 * bundle (same pane, same contents) rewrites the same rows instead of adding duplicates.
 *
 * <p>The salt separates fresh launches of the job: pane indices restart at 0 when a job starts
 * without state, and without the salt its first panes would overwrite the rows of the previous
 * launch's first panes. Within one job the salt is fixed when the graph is built, so retries see
 * the same value. The id is the first 64 bits of a 128-bit Murmur3 hash: two panes of one interval
 * collide with probability ~2^-64.
 */
public final class RowIds {
  private static final HashFunction HASH = Hashing.murmur3_128();

  private RowIds() {}

  /** Returns the row id of a row produced by pane {@code paneIndex} of a window. */
  public static long rowId(
      String salt,
      String series,
      Resolution resolution,
      long intervalStart,
      long windowMaxTimestampMillis,
      long paneIndex) {
    return HASH.newHasher()
        .putString(salt, StandardCharsets.UTF_8)
        .putByte((byte) 0)
        .putString(series, StandardCharsets.UTF_8)
        .putByte((byte) 0)
        .putLong(resolution.seconds())
        .putLong(intervalStart)
        .putLong(windowMaxTimestampMillis)
        .putLong(paneIndex)
        .hash()
        .asLong();
  }
}
