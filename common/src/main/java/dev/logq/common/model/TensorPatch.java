package dev.logq.common.model;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A sparse-plus-dense bundle keyed by tensor name: per embedding table some {@link SparseRows}, per
 * dense tensor a float[]. It carries gradients, parameter deltas, and the "new values" patches the
 * driver ships to worker replicas ({@link TensorStore#applyPatch}). Names and rows iterate in sorted
 * order, so every operation visits values in a fixed order and gives the same bits for the same inputs.
 *
 * <p>The patch owns the arrays put into it ({@link #scale} and {@link #addScaled} modify them in place).
 * Binary form ({@link #writeTo}/{@link #readFrom}, also what Java serialisation writes):
 * <pre>
 *   int magic 'LQTP', int version (1)
 *   int tableCount, per table (sorted): UTF name, int dim, int rowCount, rowCount ints (ids), rowCount x dim floats
 *   int denseCount, per dense tensor (sorted): UTF name, int length, floats
 * </pre>
 * Not thread-safe.
 */
public final class TensorPatch implements Externalizable {

  private static final long serialVersionUID = 1L;
  static final int MAGIC = 0x4C515450; // "LQTP"
  static final int VERSION = 1;

  private final TreeMap<String, SparseRows> rows = new TreeMap<>();
  private final TreeMap<String, float[]> dense = new TreeMap<>();

  /** An empty patch (also the constructor Java serialisation needs). */
  public TensorPatch() {}

  /** Sets (replaces) the rows for {@code table}. */
  public TensorPatch putRows(String table, SparseRows values) {
    if (dense.containsKey(table)) {
      throw new IllegalArgumentException("patch already holds a dense tensor called '" + table + "'");
    }
    rows.put(table, values);
    return this;
  }

  /** Sets (replaces) dense tensor {@code name}; the patch keeps the array itself. */
  public TensorPatch putDense(String name, float[] values) {
    if (rows.containsKey(name)) {
      throw new IllegalArgumentException("patch already holds rows for a table called '" + name + "'");
    }
    dense.put(name, values);
    return this;
  }

  /** The rows for {@code table}, or null when the patch has none. */
  public SparseRows rows(String table) {
    return rows.get(table);
  }

  /** Dense tensor {@code name}, or null when the patch has none. */
  public float[] dense(String name) {
    return dense.get(name);
  }

  public SortedSet<String> tableNames() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(rows.keySet()));
  }

  public SortedSet<String> denseNames() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(dense.keySet()));
  }

  public boolean isEmpty() {
    return rows.isEmpty() && dense.isEmpty();
  }

  /** Total rows over all tables. */
  public long rowCount() {
    long count = 0;
    for (SparseRows r : rows.values()) {
      count += r.size();
    }
    return count;
  }

  public void clear() {
    rows.clear();
    dense.clear();
  }

  /** A deep copy. */
  public TensorPatch copy() {
    TensorPatch copy = new TensorPatch();
    for (Map.Entry<String, SparseRows> e : rows.entrySet()) {
      copy.rows.put(e.getKey(), e.getValue().copy());
    }
    for (Map.Entry<String, float[]> e : dense.entrySet()) {
      copy.dense.put(e.getKey(), e.getValue().clone());
    }
    return copy;
  }

  /** Multiplies every value by {@code factor}, in place. */
  public TensorPatch scale(float factor) {
    for (SparseRows r : rows.values()) {
      r.scaleInPlace(factor);
    }
    for (float[] values : dense.values()) {
      for (int i = 0; i < values.length; i++) {
        values[i] *= factor;
      }
    }
    return this;
  }

  /**
   * this += factor * other, in place, over the union of names and rows (a missing row or tensor counts
   * as zero; see {@link SparseRows} for the exact per-value arithmetic). {@code other} is not changed and
   * none of its arrays are shared with this patch afterwards.
   */
  public TensorPatch addScaled(TensorPatch other, float factor) {
    for (Map.Entry<String, SparseRows> e : other.rows.entrySet()) {
      if (dense.containsKey(e.getKey())) {
        throw new IllegalArgumentException("'" + e.getKey() + "' is a table in one patch and dense in the other");
      }
      SparseRows mine = rows.get(e.getKey());
      SparseRows theirs = e.getValue();
      if (mine == null) {
        SparseRows copy = theirs.copy();
        copy.scaleInPlace(factor);
        rows.put(e.getKey(), copy);
      } else {
        rows.put(e.getKey(), mine.plusScaled(theirs, factor));
      }
    }
    for (Map.Entry<String, float[]> e : other.dense.entrySet()) {
      if (rows.containsKey(e.getKey())) {
        throw new IllegalArgumentException("'" + e.getKey() + "' is a table in one patch and dense in the other");
      }
      float[] theirs = e.getValue();
      float[] mine = dense.get(e.getKey());
      if (mine == null) {
        float[] copy = new float[theirs.length];
        for (int i = 0; i < copy.length; i++) {
          copy[i] = factor * theirs[i];
        }
        dense.put(e.getKey(), copy);
      } else {
        if (mine.length != theirs.length) {
          throw new IllegalArgumentException("dense tensor '" + e.getKey() + "' has " + mine.length
              + " values here and " + theirs.length + " in the patch being added");
        }
        for (int i = 0; i < mine.length; i++) {
          mine[i] += factor * theirs[i];
        }
      }
    }
    return this;
  }

  /**
   * The current values in {@code from} of exactly the rows and dense tensors {@code like} names (e.g.
   * the new parameter values for the rows a gradient touched).
   */
  public static TensorPatch gatherRows(TensorStore from, TensorPatch like) {
    Map<String, int[]> rowIds = new TreeMap<>();
    for (Map.Entry<String, SparseRows> e : like.rows.entrySet()) {
      rowIds.put(e.getKey(), e.getValue().idsArray());
    }
    return gatherRows(from, rowIds, like.dense.keySet());
  }

  /**
   * The current values in {@code from} of the given rows (per table; sorted unique ids, which are
   * copied) and of the named dense tensors (copied).
   */
  public static TensorPatch gatherRows(TensorStore from, Map<String, int[]> rowIdsByTable,
                                       Collection<String> denseNames) {
    TensorPatch patch = new TensorPatch();
    for (Map.Entry<String, int[]> e : rowIdsByTable.entrySet()) {
      EmbeddingTable table = from.table(e.getKey());
      int[] ids = e.getValue();
      int dim = table.dim();
      float[] values = new float[ids.length * dim];
      for (int i = 0; i < ids.length; i++) {
        table.readRow(ids[i], values, i * dim);
      }
      patch.rows.put(e.getKey(), new SparseRows(dim, ids.clone(), values));
    }
    for (String name : denseNames) {
      patch.putDense(name, from.dense(name).clone());
    }
    return patch;
  }

  /** Same names, rows and bits. */
  public boolean bitwiseEquals(TensorPatch other) {
    if (!rows.keySet().equals(other.rows.keySet()) || !dense.keySet().equals(other.dense.keySet())) {
      return false;
    }
    for (Map.Entry<String, SparseRows> e : rows.entrySet()) {
      if (!e.getValue().bitwiseEquals(other.rows.get(e.getKey()))) {
        return false;
      }
    }
    for (Map.Entry<String, float[]> e : dense.entrySet()) {
      float[] a = e.getValue();
      float[] b = other.dense.get(e.getKey());
      if (a.length != b.length) {
        return false;
      }
      for (int i = 0; i < a.length; i++) {
        if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
          return false;
        }
      }
    }
    return true;
  }

  /** Exactly the bytes {@link #writeTo} writes. */
  public long sizeInBytes() {
    long bytes = 4 + 4 + 4 + 4;
    for (Map.Entry<String, SparseRows> e : rows.entrySet()) {
      SparseRows r = e.getValue();
      bytes += BinaryIo.utfLength(e.getKey()) + 4 + 4 + 4L * r.size() + 4L * r.size() * r.dim();
    }
    for (Map.Entry<String, float[]> e : dense.entrySet()) {
      bytes += BinaryIo.utfLength(e.getKey()) + 4 + 4L * e.getValue().length;
    }
    return bytes;
  }

  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(VERSION);
    out.writeInt(rows.size());
    for (Map.Entry<String, SparseRows> e : rows.entrySet()) {
      SparseRows r = e.getValue();
      out.writeUTF(e.getKey());
      out.writeInt(r.dim());
      out.writeInt(r.size());
      BinaryIo.writeInts(out, r.idsArray(), 0, r.size());
      BinaryIo.writeFloats(out, r.valuesArray(), 0, r.valuesArray().length);
    }
    out.writeInt(dense.size());
    for (Map.Entry<String, float[]> e : dense.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeInt(e.getValue().length);
      BinaryIo.writeFloats(out, e.getValue(), 0, e.getValue().length);
    }
  }

  /**
   * Writes exactly the bytes of {@link #writeTo(DataOutput)} into {@code out} (which needs
   * {@link #sizeInBytes} bytes left), as bulk copies: no stream, no intermediate buffers.
   */
  public void writeTo(ByteBuffer out) {
    ByteBuffer b = out.order() == ByteOrder.BIG_ENDIAN ? out : out.duplicate().order(ByteOrder.BIG_ENDIAN);
    b.putInt(MAGIC).putInt(VERSION).putInt(rows.size());
    for (Map.Entry<String, SparseRows> e : rows.entrySet()) {
      SparseRows r = e.getValue();
      BinaryIo.putUtf(b, e.getKey());
      b.putInt(r.dim()).putInt(r.size());
      b.asIntBuffer().put(r.idsArray(), 0, r.size());
      b.position(b.position() + 4 * r.size());
      b.asFloatBuffer().put(r.valuesArray());
      b.position(b.position() + 4 * r.valuesArray().length);
    }
    b.putInt(dense.size());
    for (Map.Entry<String, float[]> e : dense.entrySet()) {
      BinaryIo.putUtf(b, e.getKey());
      b.putInt(e.getValue().length);
      b.asFloatBuffer().put(e.getValue());
      b.position(b.position() + 4 * e.getValue().length);
    }
    if (b != out) {
      out.position(b.position());
    }
  }

  /** Reads what {@link #writeTo} wrote, from {@code in}'s position (advanced past the patch). */
  public static TensorPatch readFrom(ByteBuffer in) throws IOException {
    try {
      ByteBuffer b = in.order() == ByteOrder.BIG_ENDIAN ? in : in.duplicate().order(ByteOrder.BIG_ENDIAN);
      TensorPatch patch = new TensorPatch();
      patch.checkHeader(b.getInt(), b.getInt());
      int tableCount = BinaryIo.checkedCount(b.getInt(), "table count");
      for (int t = 0; t < tableCount; t++) {
        String name = BinaryIo.getUtf(b);
        int dim = b.getInt();
        int count = BinaryIo.checkedCount(b.getInt(), "row count of table '" + name + "'");
        if (dim < 1 || (long) count * dim > Integer.MAX_VALUE - 8 || 4L * count * (dim + 1) > b.remaining()) {
          throw new IOException("corrupt patch: table '" + name + "' with " + count + " rows of dim " + dim);
        }
        int[] ids = new int[count];
        b.asIntBuffer().get(ids);
        b.position(b.position() + 4 * count);
        float[] values = new float[count * dim];
        b.asFloatBuffer().get(values);
        b.position(b.position() + 4 * values.length);
        try {
          patch.rows.put(name, new SparseRows(dim, ids, values));
        } catch (IllegalArgumentException e) {
          throw new IOException("corrupt patch for table '" + name + "': " + e.getMessage(), e);
        }
      }
      int denseCount = BinaryIo.checkedCount(b.getInt(), "dense tensor count");
      for (int d = 0; d < denseCount; d++) {
        String name = BinaryIo.getUtf(b);
        int length = BinaryIo.checkedCount(b.getInt(), "length of dense tensor '" + name + "'");
        if (4L * length > b.remaining()) {
          throw new IOException("corrupt patch: dense tensor '" + name + "' of " + length + " values");
        }
        float[] values = new float[length];
        b.asFloatBuffer().get(values);
        b.position(b.position() + 4 * length);
        patch.dense.put(name, values);
      }
      if (b != in) {
        in.position(b.position());
      }
      return patch;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IOException("truncated tensor patch", e);
    }
  }

  private void checkHeader(int magic, int version) throws IOException {
    if (magic != MAGIC) {
      throw new IOException(String.format("not a logq tensor patch: magic 0x%08X, expected 0x%08X", magic, MAGIC));
    }
    if (version != VERSION) {
      throw new IOException("unsupported tensor patch format version " + version + " (this build reads "
          + VERSION + ")");
    }
  }

  public static TensorPatch readFrom(DataInput in) throws IOException {
    TensorPatch patch = new TensorPatch();
    patch.readInto(in);
    return patch;
  }

  private void readInto(DataInput in) throws IOException {
    checkHeader(in.readInt(), in.readInt());
    rows.clear();
    dense.clear();
    int tableCount = BinaryIo.checkedCount(in.readInt(), "table count");
    for (int t = 0; t < tableCount; t++) {
      String name = in.readUTF();
      int dim = in.readInt();
      int count = BinaryIo.checkedCount(in.readInt(), "row count of table '" + name + "'");
      if (dim < 1 || (long) count * dim > Integer.MAX_VALUE - 8) {
        throw new IOException("corrupt patch: table '" + name + "' with " + count + " rows of dim " + dim);
      }
      int[] ids = new int[count];
      BinaryIo.readInts(in, ids, 0, count);
      float[] values = new float[count * dim];
      BinaryIo.readFloats(in, values, 0, values.length);
      try {
        rows.put(name, new SparseRows(dim, ids, values));
      } catch (IllegalArgumentException e) {
        throw new IOException("corrupt patch for table '" + name + "': " + e.getMessage(), e);
      }
    }
    int denseCount = BinaryIo.checkedCount(in.readInt(), "dense tensor count");
    for (int d = 0; d < denseCount; d++) {
      String name = in.readUTF();
      int length = BinaryIo.checkedCount(in.readInt(), "length of dense tensor '" + name + "'");
      float[] values = new float[length];
      BinaryIo.readFloats(in, values, 0, length);
      dense.put(name, values);
    }
  }

  @Override
  public void writeExternal(ObjectOutput out) throws IOException {
    writeTo(out);
  }

  @Override
  public void readExternal(ObjectInput in) throws IOException {
    readInto(in);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("TensorPatch{");
    for (Map.Entry<String, SparseRows> e : rows.entrySet()) {
      sb.append(e.getKey()).append(": ").append(e.getValue().size()).append(" rows; ");
    }
    for (Map.Entry<String, float[]> e : dense.entrySet()) {
      sb.append(e.getKey()).append('[').append(e.getValue().length).append("]; ");
    }
    return sb.append('}').toString();
  }
}
