package dev.logq.common.model;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
import java.util.Collections;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * Named {@link EmbeddingTable}s plus named dense float[] tensors: a model's parameters, or an
 * optimizer's state. Names iterate in sorted order. The binary form ({@link #writeTo}/{@link #readFrom})
 * is the checkpoint and model file format:
 * <pre>
 *   int magic 'LQTS', int version (1)
 *   int tableCount, then per table (sorted by name):
 *     UTF name, int rows, int dim, int log2(chunkRows), byte initKind, long initSeed, double initStd,
 *     int chunkCount, per chunk: byte 0 (initial values, regenerated from the initialiser) or
 *                                byte 1 followed by the chunk's rows x dim floats (row-major)
 *   int denseCount, then per dense tensor (sorted by name): UTF name, int length, floats
 * </pre>
 * All numbers big-endian (java.io.DataOutput). Java serialisation ({@link Externalizable}) writes the
 * same bytes.
 *
 * <p>Threads: concurrent reads are safe; writes (optimizer steps, {@link #applyPatch}) need exclusive
 * access.
 */
public final class TensorStore implements Externalizable {

  private static final long serialVersionUID = 1L;
  static final int MAGIC = 0x4C515453; // "LQTS"
  static final int VERSION = 1;

  private final TreeMap<String, EmbeddingTable> tables = new TreeMap<>();
  private final TreeMap<String, float[]> dense = new TreeMap<>();

  /** An empty store (also the constructor Java serialisation needs). */
  public TensorStore() {}

  /** Creates and adds a table; the name must be new. */
  public EmbeddingTable addTable(String name, int rows, int dim, TableInit init) {
    EmbeddingTable table = new EmbeddingTable(name, rows, dim, init);
    putTable(table);
    return table;
  }

  /** Adds a table under its own name; the name must be new. */
  public void putTable(EmbeddingTable table) {
    if (tables.containsKey(table.name()) || dense.containsKey(table.name())) {
      throw new IllegalArgumentException("tensor store already holds a tensor called '" + table.name() + "'");
    }
    tables.put(table.name(), table);
  }

  /** Adds a dense tensor (the store keeps the array itself); the name must be new. */
  public float[] putDense(String name, float[] values) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("dense tensor name must be non-empty");
    }
    if (tables.containsKey(name) || dense.containsKey(name)) {
      throw new IllegalArgumentException("tensor store already holds a tensor called '" + name + "'");
    }
    dense.put(name, values);
    return values;
  }

  public boolean hasTable(String name) {
    return tables.containsKey(name);
  }

  public boolean hasDense(String name) {
    return dense.containsKey(name);
  }

  /** The table called {@code name}; fails with the names it does hold. */
  public EmbeddingTable table(String name) {
    EmbeddingTable table = tables.get(name);
    if (table == null) {
      throw new IllegalArgumentException("no embedding table '" + name + "' in this tensor store (tables: "
          + tables.keySet() + ")");
    }
    return table;
  }

  /** The live array of dense tensor {@code name}; fails with the names it does hold. */
  public float[] dense(String name) {
    float[] values = dense.get(name);
    if (values == null) {
      throw new IllegalArgumentException("no dense tensor '" + name + "' in this tensor store (dense: "
          + dense.keySet() + ")");
    }
    return values;
  }

  public SortedSet<String> tableNames() {
    return Collections.unmodifiableSortedSet(new java.util.TreeSet<>(tables.keySet()));
  }

  public SortedSet<String> denseNames() {
    return Collections.unmodifiableSortedSet(new java.util.TreeSet<>(dense.keySet()));
  }

  /** A deep copy. */
  public TensorStore copy() {
    TensorStore copy = new TensorStore();
    for (EmbeddingTable table : tables.values()) {
      copy.tables.put(table.name(), table.copy());
    }
    for (Map.Entry<String, float[]> e : dense.entrySet()) {
      copy.dense.put(e.getKey(), e.getValue().clone());
    }
    return copy;
  }

  /**
   * Overwrites the rows and dense tensors the patch lists with the patch's values. Every name must
   * exist here with the same shape; nothing is written if one does not.
   */
  public void applyPatch(TensorPatch patch) {
    for (String name : patch.tableNames()) {
      EmbeddingTable table = table(name);
      SparseRows rows = patch.rows(name);
      if (rows.dim() != table.dim()) {
        throw new IllegalArgumentException("patch rows for table '" + name + "' have dim " + rows.dim()
            + ", the table has dim " + table.dim());
      }
      if (rows.size() > 0 && rows.rowId(rows.size() - 1) >= table.rows()) {
        throw new IllegalArgumentException("patch names row " + rows.rowId(rows.size() - 1) + " of table '"
            + name + "', which has " + table.rows() + " rows");
      }
    }
    for (String name : patch.denseNames()) {
      float[] target = dense(name);
      if (patch.dense(name).length != target.length) {
        throw new IllegalArgumentException("patch dense tensor '" + name + "' has " + patch.dense(name).length
            + " values, the store's has " + target.length);
      }
    }
    for (String name : patch.tableNames()) {
      EmbeddingTable table = tables.get(name);
      SparseRows rows = patch.rows(name);
      float[] values = rows.valuesArray();
      int dim = rows.dim();
      for (int i = 0; i < rows.size(); i++) {
        table.writeRow(rows.rowId(i), values, i * dim);
      }
    }
    for (String name : patch.denseNames()) {
      float[] source = patch.dense(name);
      System.arraycopy(source, 0, dense.get(name), 0, source.length);
    }
  }

  /** Same names, shapes and bits everywhere (see {@link EmbeddingTable#bitwiseEquals}). */
  public boolean bitwiseEquals(TensorStore other) {
    if (other == this) {
      return true;
    }
    if (other == null || !tables.keySet().equals(other.tables.keySet())
        || !dense.keySet().equals(other.dense.keySet())) {
      return false;
    }
    for (EmbeddingTable table : tables.values()) {
      if (!table.bitwiseEquals(other.tables.get(table.name()))) {
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

  /** Memory held by materialised table chunks and dense tensors. */
  public long materializedBytes() {
    long bytes = 0;
    for (EmbeddingTable table : tables.values()) {
      bytes += table.materializedBytes();
    }
    for (float[] values : dense.values()) {
      bytes += 4L * values.length;
    }
    return bytes;
  }

  /** Bytes {@link #writeTo} writes. */
  public long serializedBytes() {
    long bytes = 4 + 4 + 4 + 4;
    for (EmbeddingTable table : tables.values()) {
      bytes += table.serializedBytes();
    }
    for (Map.Entry<String, float[]> e : dense.entrySet()) {
      bytes += BinaryIo.utfLength(e.getKey()) + 4 + 4L * e.getValue().length;
    }
    return bytes;
  }

  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(VERSION);
    out.writeInt(tables.size());
    for (EmbeddingTable table : tables.values()) {
      table.writeTo(out);
    }
    out.writeInt(dense.size());
    for (Map.Entry<String, float[]> e : dense.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeInt(e.getValue().length);
      BinaryIo.writeFloats(out, e.getValue(), 0, e.getValue().length);
    }
  }

  public static TensorStore readFrom(DataInput in) throws IOException {
    TensorStore store = new TensorStore();
    store.readInto(in);
    return store;
  }

  private void readInto(DataInput in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new IOException(String.format("not a logq tensor store: magic 0x%08X, expected 0x%08X", magic, MAGIC));
    }
    int version = in.readInt();
    if (version != VERSION) {
      throw new IOException("unsupported tensor store format version " + version + " (this build reads "
          + VERSION + ")");
    }
    tables.clear();
    dense.clear();
    int tableCount = BinaryIo.checkedCount(in.readInt(), "table count");
    for (int t = 0; t < tableCount; t++) {
      EmbeddingTable table = EmbeddingTable.readFrom(in);
      if (tables.put(table.name(), table) != null) {
        throw new IOException("tensor store holds table '" + table.name() + "' twice");
      }
    }
    int denseCount = BinaryIo.checkedCount(in.readInt(), "dense tensor count");
    for (int d = 0; d < denseCount; d++) {
      String name = in.readUTF();
      int length = BinaryIo.checkedCount(in.readInt(), "length of dense tensor '" + name + "'");
      float[] values = new float[length];
      BinaryIo.readFloats(in, values, 0, length);
      if (tables.containsKey(name) || dense.put(name, values) != null) {
        throw new IOException("tensor store holds a tensor called '" + name + "' twice");
      }
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
    StringBuilder sb = new StringBuilder("TensorStore{");
    for (EmbeddingTable table : tables.values()) {
      sb.append(table.name()).append('[').append(table.rows()).append('x').append(table.dim()).append("] ");
    }
    for (Map.Entry<String, float[]> e : dense.entrySet()) {
      sb.append(e.getKey()).append('[').append(e.getValue().length).append("] ");
    }
    return sb.append('}').toString();
  }
}
