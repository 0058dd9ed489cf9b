package io.eventflow.beam;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.util.VarInt;

/**
 * A set of 64-bit id fingerprints, each with the second it was first seen: the state of one shard
 * of {@link DropRepeatedIdsInState}. An open-addressing hash table of two parallel arrays, 12 bytes
 * a slot, between a quarter and 70% full (17 to 48 bytes of heap per id); a checkpoint writes the
 * held ids as one block of 16 bytes each (fingerprint, second and slot) instead of one state cell,
 * one value and one timer per id.
 *
 * <p>Seconds are stored relative to a base second, so they fit an {@code int}. A fingerprint
 * remembered past its window stays in the table, counted as absent, until {@link #purge} or a
 * resize removes it; a new sighting of it starts a new window.
 */
final class IdFingerprints {
  /** The fingerprint of an empty slot; {@link #fingerprint} never returns it. */
  private static final long EMPTY = 0L;

  private static final int MIN_CAPACITY = 16;

  private long baseSecond;
  private long[] fingerprints;
  private int[] seconds;
  private int occupied;

  /** An empty set whose stored seconds count from {@code baseSecond}. */
  IdFingerprints(long baseSecond) {
    this(baseSecond, MIN_CAPACITY);
  }

  private IdFingerprints(long baseSecond, int capacity) {
    this.baseSecond = baseSecond;
    this.fingerprints = new long[capacity];
    this.seconds = new int[capacity];
  }

  /** Maps a 64-bit hash to a fingerprint: any value but the empty slot's. */
  static long fingerprint(long hash) {
    return hash == EMPTY ? 1L : hash;
  }

  /**
   * Records {@code fingerprint} as seen at {@code nowSecond} unless it was first seen less than
   * {@code windowSeconds} before: returns whether this is a first sighting within the window.
   */
  boolean addIfAbsent(long fingerprint, long nowSecond, long windowSeconds) {
    int slot = slotOf(fingerprint);
    if (fingerprints[slot] == fingerprint) {
      if (!expired(baseSecond + seconds[slot], nowSecond, windowSeconds)) {
        return false;
      }
      seconds[slot] = relative(nowSecond);
      return true;
    }
    // At most 70% full: linear probing then takes about six probes to find a slot for a new id.
    if ((occupied + 1) * 10L > fingerprints.length * 7L) {
      rebuild(nowSecond, windowSeconds);
      slot = slotOf(fingerprint);
    }
    fingerprints[slot] = fingerprint;
    seconds[slot] = relative(nowSecond);
    occupied++;
    return true;
  }

  /** Drops every fingerprint whose window ended by {@code nowSecond}; returns how many are left. */
  int purge(long nowSecond, long windowSeconds) {
    rebuild(nowSecond, windowSeconds);
    return occupied;
  }

  /** How many fingerprints the table holds, including expired ones not yet purged. */
  int size() {
    return occupied;
  }

  /** The slot holding {@code fingerprint}, or the empty slot where it would go. */
  private int slotOf(long fingerprint) {
    int mask = fingerprints.length - 1;
    // The fingerprint is already a uniform hash: its low bits pick the slot.
    int slot = (int) fingerprint & mask;
    while (fingerprints[slot] != EMPTY && fingerprints[slot] != fingerprint) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private static boolean expired(long firstSecond, long nowSecond, long windowSeconds) {
    // The first sighting's second is rounded down, so an id is remembered for at least the window
    // and at most one second more.
    return nowSecond - firstSecond > windowSeconds;
  }

  private int relative(long second) {
    return Math.toIntExact(second - baseSecond);
  }

  /**
   * Copies the live fingerprints into a table at most half full, counting seconds from {@code
   * nowSecond - windowSeconds - 1}, before every live sighting: stored seconds stay small however
   * long the set lives.
   */
  private void rebuild(long nowSecond, long windowSeconds) {
    long[] oldFingerprints = fingerprints;
    int[] oldSeconds = seconds;
    long oldBase = baseSecond;
    int live = 0;
    for (int i = 0; i < oldFingerprints.length; i++) {
      if (oldFingerprints[i] != EMPTY
          && !expired(oldBase + oldSeconds[i], nowSecond, windowSeconds)) {
        live++;
      }
    }
    int capacity = MIN_CAPACITY;
    while (capacity < live * 2) {
      capacity *= 2;
    }
    fingerprints = new long[capacity];
    seconds = new int[capacity];
    baseSecond = nowSecond - windowSeconds - 1;
    occupied = 0;
    for (int i = 0; i < oldFingerprints.length; i++) {
      if (oldFingerprints[i] != EMPTY
          && !expired(oldBase + oldSeconds[i], nowSecond, windowSeconds)) {
        int slot = slotOf(oldFingerprints[i]);
        fingerprints[slot] = oldFingerprints[i];
        seconds[slot] = relative(oldBase + oldSeconds[i]);
        occupied++;
      }
    }
  }

  /**
   * Writes a set as its base second, capacity and count, then each held fingerprint with its slot
   * and second, in one write of 16 bytes per fingerprint: a checkpoint copies bytes instead of
   * encoding elements, and decoding puts each fingerprint back in its slot without searching for
   * one.
   *
   * <p>Flink's heap state copies a shard's table through this coder (encode, then decode) the first
   * time the shard is touched during each checkpoint. Decoding the first format (12 bytes per
   * fingerprint, no slot) probed for a slot per fingerprint: with tables of 3 million ids at 20,000
   * events/s the copy was about 1.2% of the local stack's CPU, half of it that decode (JFR), and it
   * grows with the tables. That format, which checkpoints of earlier versions hold, still decodes:
   * it starts with the base second, which is never {@link #SLOTS_FORMAT}.
   */
  static final class Coder extends CustomCoder<IdFingerprints> {
    private static final long serialVersionUID = 1L;

    /** Opens the format with slots; no base second of the first format has this value. */
    static final long SLOTS_FORMAT = Long.MIN_VALUE;

    @Override
    public void encode(IdFingerprints set, OutputStream out) throws IOException {
      ByteBuffer bytes = ByteBuffer.allocate(8 + 8 + 4 + 4 + set.occupied * 16);
      bytes.putLong(SLOTS_FORMAT).putLong(set.baseSecond);
      bytes.putInt(set.fingerprints.length).putInt(set.occupied);
      for (int i = 0; i < set.fingerprints.length; i++) {
        if (set.fingerprints[i] != EMPTY) {
          bytes.putInt(i).putLong(set.fingerprints[i]).putInt(set.seconds[i]);
        }
      }
      VarInt.encode(bytes.capacity(), out);
      out.write(bytes.array());
    }

    @Override
    public IdFingerprints decode(InputStream in) throws IOException {
      byte[] array = new byte[VarInt.decodeInt(in)];
      int read = 0;
      while (read < array.length) {
        int n = in.read(array, read, array.length - read);
        if (n < 0) {
          throw new IOException("id fingerprints: " + (array.length - read) + " bytes missing");
        }
        read += n;
      }
      ByteBuffer bytes = ByteBuffer.wrap(array);
      long first = bytes.getLong();
      if (first != SLOTS_FORMAT) {
        return decodeWithoutSlots(first, bytes);
      }
      long base = bytes.getLong();
      int capacity = bytes.getInt();
      int count = bytes.getInt();
      if (Integer.bitCount(capacity) != 1 || count < 0 || count > capacity) {
        throw new IOException("id fingerprints: " + count + " of " + capacity + " slots");
      }
      IdFingerprints set = new IdFingerprints(base, capacity);
      for (int i = 0; i < count; i++) {
        int slot = bytes.getInt();
        set.fingerprints[slot] = bytes.getLong();
        set.seconds[slot] = bytes.getInt();
      }
      set.occupied = count;
      return set;
    }

    /** Decodes the first format: base second, count, then 12 bytes per fingerprint. */
    private static IdFingerprints decodeWithoutSlots(long base, ByteBuffer bytes) {
      int count = bytes.getInt();
      int capacity = MIN_CAPACITY;
      while (capacity < count * 2) {
        capacity *= 2;
      }
      IdFingerprints set = new IdFingerprints(base, capacity);
      for (int i = 0; i < count; i++) {
        long fingerprint = bytes.getLong();
        int slot = set.slotOf(fingerprint);
        set.fingerprints[slot] = fingerprint;
        set.seconds[slot] = bytes.getInt();
      }
      set.occupied = count;
      return set;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
