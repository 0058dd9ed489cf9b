package io.eventflow.broker.log;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** A segment kept on the heap, for tests and throwaway local runs. */
final class MemorySegmentStorage implements SegmentStorage {
  private byte[] bytes = new byte[64 * 1024];
  private volatile int size;

  @Override
  public synchronized void append(ByteBuffer src) {
    int needed = size + src.remaining();
    if (needed > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(needed, bytes.length * 2));
    }
    int n = src.remaining();
    src.get(bytes, size, n);
    size += n;
  }

  @Override
  public synchronized void read(long position, ByteBuffer dst) throws EOFException {
    if (position + dst.remaining() > size) {
      throw new EOFException("in-memory segment ends at " + size);
    }
    dst.put(bytes, (int) position, dst.remaining());
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public synchronized void truncate(long newSize) {
    size = (int) newSize;
  }

  @Override
  public void force() {}

  @Override
  public synchronized void delete() {
    bytes = new byte[0];
    size = 0;
  }

  @Override
  public void close() {}
}
