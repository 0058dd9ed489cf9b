package io.eventflow.broker;

import java.util.BitSet;

/**
 * The acknowledged offsets of a subscription: a cursor below which everything is acknowledged, and
 * a bit per offset above it. A slow message holds the cursor back while later acks only set bits,
 * so a million acks past one stuck message cost 125 KB rather than a tree of boxed longs.
 */
final class AckSet {
  /** Re-base the bit set once the cursor has moved this far past its base (8 KiB of bits). */
  private static final int REBASE_BITS = 64 * 1024;

  private long cursor;
  private long base;
  private BitSet bits = new BitSet();

  AckSet(long cursor) {
    reset(cursor);
  }

  /** Forgets every ack and puts the cursor at {@code newCursor}. */
  void reset(long newCursor) {
    cursor = newCursor;
    base = newCursor;
    bits = new BitSet();
  }

  long cursor() {
    return cursor;
  }

  boolean contains(long offset) {
    return offset < cursor || bits.get(index(offset));
  }

  /** Marks {@code offset} acknowledged; returns false if it already was. */
  boolean add(long offset) {
    if (contains(offset)) {
      return false;
    }
    bits.set(index(offset));
    if (offset == cursor) {
      int next = bits.nextClearBit(index(cursor));
      cursor = base + next;
      if (cursor - base >= REBASE_BITS) {
        bits = bits.get((int) (cursor - base), Math.max(bits.length(), (int) (cursor - base)));
        base = cursor;
      }
    }
    return true;
  }

  /**
   * Sets bit {@code o - from} of {@code out} for every offset {@code o} in {@code [from, to)} that
   * is not acknowledged.
   */
  void addUnacknowledged(long from, long to, BitSet out) {
    long o = Math.max(from, cursor);
    while (o < to) {
      if (o - base >= bits.length()) {
        out.set((int) (o - from), (int) (to - from));
        return;
      }
      long clear = base + bits.nextClearBit(index(o));
      if (clear >= to) {
        return;
      }
      int nextSet = clear - base >= bits.length() ? -1 : bits.nextSetBit(index(clear));
      long end = nextSet < 0 ? to : Math.min(to, base + nextSet);
      out.set((int) (clear - from), (int) (end - from));
      o = end;
    }
  }

  /** The acknowledged offsets at or above the cursor, ascending. */
  long[] above() {
    int from = index(cursor);
    long[] out = new long[bits.get(from, Math.max(from, bits.length())).cardinality()];
    int n = 0;
    for (int i = bits.nextSetBit(from); i >= 0; i = bits.nextSetBit(i + 1)) {
      out[n++] = base + i;
    }
    return out;
  }

  private int index(long offset) {
    long i = offset - base;
    if (i > Integer.MAX_VALUE - 64) {
      throw new IllegalStateException("more than 2^31 unacknowledged offsets above the cursor");
    }
    return (int) i;
  }
}
