package io.eventflow.broker.log;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A segment stored in one append-only file, read with positional reads. */
final class FileSegmentStorage implements SegmentStorage {
  private final Path path;
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
