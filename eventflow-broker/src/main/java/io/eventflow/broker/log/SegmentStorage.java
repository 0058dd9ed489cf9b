package io.eventflow.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;

/** The bytes of one log segment: a file on disk, or a growable array in in-memory mode. */
interface SegmentStorage extends AutoCloseable {

  /** Appends all remaining bytes of {@code src} at the end. */
  void append(ByteBuffer src) throws IOException;

  /** Fills {@code dst} from {@code position}; fails if the storage ends first. */
  void read(long position, ByteBuffer dst) throws IOException;

  /** The number of bytes stored. */
  long size();

  /** Discards everything from {@code size} on (recovery of a torn tail). */
  void truncate(long size) throws IOException;

  /** Forces appended bytes to stable storage. */
  void force() throws IOException;

  /** Releases the storage and removes its bytes for good. */
  void delete() throws IOException;

  @Override
  void close() throws IOException;
}
