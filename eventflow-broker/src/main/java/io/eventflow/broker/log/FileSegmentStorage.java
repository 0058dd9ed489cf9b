package io.eventflow.broker.log;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A segment stored in one append-only file, read with positional reads. */
final class FileSegmentStorage implements SegmentStorage {
  private static final Logger logger = LoggerFactory.getLogger(FileSegmentStorage.class);

  private volatile Path path;
  private final FileChannel channel;
  private volatile long size;

  FileSegmentStorage(Path path) throws IOException {
    this.path = path;
    this.channel =
        FileChannel.open(
            path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    this.size = channel.size();
  }

  @Override
  public void append(ByteBuffer src) throws IOException {
    long position = size;
    while (src.hasRemaining()) {
      position += channel.write(src, position);
    }
    size = position;
  }

  @Override
  public void read(long position, ByteBuffer dst) throws IOException {
    long at = position;
    while (dst.hasRemaining()) {
      int n = channel.read(dst, at);
      if (n < 0) {
        throw new EOFException(path + " ends at " + at);
      }
      at += n;
    }
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void truncate(long newSize) throws IOException {
    channel.truncate(newSize);
    size = newSize;
  }

  @Override
  public void force() throws IOException {
    channel.force(false);
  }

  /**
   * Atomically renames the file to {@code target}, replacing the file there, and forces the
   * directory so the rename outlives a power loss.
   */
  void moveTo(Path target) throws IOException {
    Files.move(path, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    path = target;
    // The rename is atomic either way; forcing the directory only makes it outlive a power loss.
    // Should it not hold, the temporary file is found and removed at the next start, and the
    // original segment is still there: nothing is lost.
    try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      logger.warn("could not force directory {} after renaming {}", target.getParent(), target, e);
    }
  }

  @Override
  public void delete() throws IOException {
    channel.close();
    Files.deleteIfExists(path);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
