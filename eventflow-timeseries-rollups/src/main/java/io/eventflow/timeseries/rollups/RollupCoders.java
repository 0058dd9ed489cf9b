package io.eventflow.timeseries.rollups;

import io.eventflow.timeseries.store.AggregateFunction;
import io.eventflow.timeseries.store.IntervalRow;
import io.eventflow.timeseries.store.Resolution;
import io.eventflow.timeseries.store.SeriesInfo;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.util.VarInt;

/**
 * Compact coders for the job's own types. Every event crosses a shuffle as a {@link RollupPoint}
 * per series, so it is 10 bytes plus a varint instead of a Java-serialized object (~200 bytes).
 *
 * <p>These bytes are a running job's state, handed to the new job's coders on a Dataflow {@code
 * --update}: they must never change meaning. So aggregate functions are written as fixed ids
 * ({@link #functionId}), not as enum ordinals that a reordered or inserted constant would shift;
 * the ids are the ordinals of the first release, so state written before this rule decodes the
 * same. {@code RollupCodersGoldenTest} pins every coder's bytes with committed fixtures.
 */
public final class RollupCoders {
  /** The id written for an accumulator that has no function yet (it holds no entries). */
  static final int NO_FUNCTION = 0xff;

  private RollupCoders() {}

  /**
   * The id of a function in these coders' bytes. Fixed forever: a new function gets a new id, and
   * an id is never reused.
   */
  static int functionId(AggregateFunction function) {
    return switch (function) {
      case SUM -> 0;
      case MIN -> 1;
      case MAX -> 2;
    };
  }

  /** The function with an id written by {@link #functionId}. */
  static AggregateFunction function(int id) throws IOException {
    return switch (id) {
      case 0 -> AggregateFunction.SUM;
      case 1 -> AggregateFunction.MIN;
      case 2 -> AggregateFunction.MAX;
      default -> throw new IOException("unknown aggregate function id " + id);
    };
  }

  /** Encodes a {@link RollupPoint}: varint function, minute, value. */
  public static final class RollupPointCoder extends AtomicCoder<RollupPoint> {
    private static final long serialVersionUID = 1L;
    private static final RollupPointCoder INSTANCE = new RollupPointCoder();

    /** Returns the coder. */
    public static RollupPointCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(RollupPoint point, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeByte(functionId(point.function()));
      data.writeLong(point.minuteStart());
      data.writeDouble(point.value());
      data.flush();
    }

    @Override
    public RollupPoint decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      AggregateFunction function = function(data.readUnsignedByte());
      long minute = data.readLong();
      return new RollupPoint(minute, data.readDouble(), function);
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** Encodes an {@link IntervalAccumulator}: function, entry count, then minute/value/count. */
  public static final class IntervalAccumulatorCoder extends AtomicCoder<IntervalAccumulator> {
    private static final long serialVersionUID = 1L;
    private static final IntervalAccumulatorCoder INSTANCE = new IntervalAccumulatorCoder();

    /** Returns the coder. */
    public static IntervalAccumulatorCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(IntervalAccumulator acc, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeByte(acc.function() == null ? NO_FUNCTION : functionId(acc.function()));
      data.flush();
      VarInt.encode(acc.size(), out);
      for (int i = 0; i < acc.size(); i++) {
        data.writeLong(acc.minute(i));
        data.writeDouble(acc.value(i));
        data.flush();
        VarInt.encode(acc.count(i), out);
      }
    }

    @Override
    public IntervalAccumulator decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      int fn = data.readUnsignedByte();
      int size = VarInt.decodeInt(in);
      IntervalAccumulator acc = new IntervalAccumulator();
      if (size == 0) {
        return acc;
      }
      AggregateFunction function = function(fn);
      for (int i = 0; i < size; i++) {
        long minute = data.readLong();
        double value = data.readDouble();
        acc.add(function, minute, value, VarInt.decodeLong(in));
      }
      return acc;
    }
  }

  /** Encodes an {@link IntervalRow}. */
  public static final class IntervalRowCoder extends AtomicCoder<IntervalRow> {
    private static final long serialVersionUID = 1L;
    private static final IntervalRowCoder INSTANCE = new IntervalRowCoder();

    /** Returns the coder. */
    public static IntervalRowCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(IntervalRow row, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(row.series(), out);
      DataOutputStream data = new DataOutputStream(out);
      data.writeLong(row.resolution().seconds());
      data.writeLong(row.intervalStart().getEpochSecond());
      data.writeLong(row.rowId());
      data.writeDouble(row.value());
      data.writeLong(row.eventCount());
      data.flush();
    }

    @Override
    public IntervalRow decode(InputStream in) throws IOException {
      String series = StringUtf8Coder.of().decode(in);
      DataInputStream data = new DataInputStream(in);
      Resolution resolution = Resolution.ofSeconds(data.readLong());
      Instant start = Instant.ofEpochSecond(data.readLong());
      long rowId = data.readLong();
      double value = data.readDouble();
      return new IntervalRow(series, resolution, start, rowId, value, data.readLong());
    }
  }

  /** Encodes a {@link SeriesInfo} catalog update (instants at second precision). */
  public static final class SeriesInfoCoder extends AtomicCoder<SeriesInfo> {
    private static final long serialVersionUID = 1L;
    private static final SeriesInfoCoder INSTANCE = new SeriesInfoCoder();

    /** Returns the coder. */
    public static SeriesInfoCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(SeriesInfo info, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(info.name(), out);
      DataOutputStream data = new DataOutputStream(out);
      data.writeByte(functionId(info.function()));
      data.writeLong(info.firstSeen().getEpochSecond());
      data.writeLong(info.lastSeen().getEpochSecond());
      data.flush();
    }

    @Override
    public SeriesInfo decode(InputStream in) throws IOException {
      String name = StringUtf8Coder.of().decode(in);
      DataInputStream data = new DataInputStream(in);
      AggregateFunction function = function(data.readUnsignedByte());
      Instant first = Instant.ofEpochSecond(data.readLong());
      return new SeriesInfo(name, function, first, Instant.ofEpochSecond(data.readLong()));
    }
  }
}
