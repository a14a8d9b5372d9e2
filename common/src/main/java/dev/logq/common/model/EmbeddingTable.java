package dev.logq.common.model;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A rows x dim float table stored in chunks of {@link #chunkRows()} rows, so a table may hold more than
 * 2^31 floats. A chunk is allocated the first time one of its rows is written; until then its rows read
 * as the table's {@link TableInit initial values}, generated on the fly. An optimizer-state table that
 * only ever sees a few thousand rows therefore costs a few chunks, and a fresh 10-million-row parameter
 * table costs nothing until it is trained.
 *
 * <p>Threads: any number of threads may read concurrently; a writer needs exclusive access (the trainer
 * updates parameters between steps, never during one).
 */
public final class EmbeddingTable {

  /** A chunk holds about this many floats (256 KiB), whatever the dimension. */
  private static final int TARGET_CHUNK_FLOATS = 1 << 16;

  private final String name;
  private final int rows;
  private final int dim;
  private final TableInit init;
  private final long initKey;
  private final int chunkShift;
  private final int chunkMask;
  private final float[][] chunks;

  public EmbeddingTable(String name, int rows, int dim, TableInit init) {
    this(name, rows, dim, init, chunkShiftFor(dim));
  }

  private EmbeddingTable(String name, int rows, int dim, TableInit init, int chunkShift) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("embedding table name must be non-empty");
    }
    if (rows < 0) {
      throw new IllegalArgumentException("embedding table '" + name + "': rows must be >= 0, got " + rows);
    }
    if (dim < 1) {
      throw new IllegalArgumentException("embedding table '" + name + "': dim must be >= 1, got " + dim);
    }
    if (chunkShift < 0 || chunkShift > 30 || ((long) dim << chunkShift) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("embedding table '" + name + "': chunk of 2^" + chunkShift
          + " rows x " + dim + " does not fit one array");
    }
    this.name = name;
    this.rows = rows;
    this.dim = dim;
    this.init = init == null ? TableInit.zeros() : init;
    this.initKey = this.init.keyFor(name);
    this.chunkShift = chunkShift;
    this.chunkMask = (1 << chunkShift) - 1;
    this.chunks = new float[(int) (((long) rows + chunkMask) >>> chunkShift)][];
  }

  static int chunkShiftFor(int dim) {
    int targetRows = Math.max(1, TARGET_CHUNK_FLOATS / Math.max(1, dim));
    return 31 - Integer.numberOfLeadingZeros(targetRows);
  }

  public String name() {
    return name;
  }

  public int rows() {
    return rows;
  }

  public int dim() {
    return dim;
  }

  public TableInit init() {
    return init;
  }

  public int chunkRows() {
    return 1 << chunkShift;
  }

  public int chunkCount() {
    return chunks.length;
  }

  /** Chunks that have been written (and so hold memory). */
  public int materializedChunks() {
    int count = 0;
    for (float[] chunk : chunks) {
      if (chunk != null) {
        count++;
      }
    }
    return count;
  }

  /** Whether chunk {@code c} has been written (a lazy chunk reads as its initial values and is not stored). */
  public boolean isChunkMaterialized(int c) {
    return chunks[c] != null;
  }

  /** Bytes held by materialised chunks. */
  public long materializedBytes() {
    long bytes = 0;
    for (float[] chunk : chunks) {
      if (chunk != null) {
        bytes += 4L * chunk.length;
      }
    }
    return bytes;
  }

  private void checkRow(int row) {
    if (row < 0 || row >= rows) {
      throw new IndexOutOfBoundsException("row " + row + " outside embedding table '" + name + "' of "
          + rows + " rows");
    }
  }

  private int chunkFloats(int chunk) {
    long start = (long) chunk << chunkShift;
    long end = Math.min(rows, start + (1L << chunkShift));
    return (int) ((end - start) * dim);
  }

  /** Value {@code col} of row {@code row}. */
  public float get(int row, int col) {
    checkRow(row);
    if (col < 0 || col >= dim) {
      throw new IndexOutOfBoundsException("column " + col + " outside embedding table '" + name + "' of dim " + dim);
    }
    float[] chunk = chunks[row >>> chunkShift];
    if (chunk != null) {
      return chunk[(row & chunkMask) * dim + col];
    }
    float[] tmp = new float[dim];
    init.fillRow(initKey, row, tmp, 0, dim);
    return tmp[col];
  }

  /** Copies row {@code row} to dst[off..off+dim). */
  public void readRow(int row, float[] dst, int off) {
    checkRow(row);
    float[] chunk = chunks[row >>> chunkShift];
    if (chunk != null) {
      System.arraycopy(chunk, (row & chunkMask) * dim, dst, off, dim);
    } else {
      init.fillRow(initKey, row, dst, off, dim);
    }
  }

  /** Overwrites row {@code row} with src[off..off+dim). */
  public void writeRow(int row, float[] src, int off) {
    checkRow(row);
    System.arraycopy(src, off, chunkForWrite(row), (row & chunkMask) * dim, dim);
  }

  /** row += scale * src[off..off+dim). */
  public void addToRow(int row, float[] src, int off, float scale) {
    checkRow(row);
    float[] chunk = chunkForWrite(row);
    int base = (row & chunkMask) * dim;
    for (int k = 0; k < dim; k++) {
      chunk[base + k] += scale * src[off + k];
    }
  }

  private float[] chunkForWrite(int row) {
    int c = row >>> chunkShift;
    float[] chunk = chunks[c];
    if (chunk == null) {
      chunk = newInitialChunk(c);
      chunks[c] = chunk;
    }
    return chunk;
  }

  private float[] newInitialChunk(int c) {
    float[] chunk = new float[chunkFloats(c)];
    if (!init.isZeros()) {
      int first = c << chunkShift;
      int count = chunk.length / dim;
      for (int i = 0; i < count; i++) {
        init.fillRow(initKey, first + i, chunk, i * dim, dim);
      }
    }
    return chunk;
  }

  /** Allocates every chunk (e.g. before timing steady-state steps or handing rows to native code). */
  public void materializeAll() {
    for (int c = 0; c < chunks.length; c++) {
      if (chunks[c] == null) {
        chunks[c] = newInitialChunk(c);
      }
    }
  }

  /** A deep copy; unmaterialised chunks stay unmaterialised. */
  public EmbeddingTable copy() {
    EmbeddingTable copy = new EmbeddingTable(name, rows, dim, init, chunkShift);
    for (int c = 0; c < chunks.length; c++) {
      if (chunks[c] != null) {
        copy.chunks[c] = chunks[c].clone();
      }
    }
    return copy;
  }

  /**
   * True when both tables have the same name, shape and the same bits in every row (NaN payloads and
   * signed zeros included). Materialisation does not matter: only the values do.
   */
  public boolean bitwiseEquals(EmbeddingTable other) {
    if (other == this) {
      return true;
    }
    if (other == null || !name.equals(other.name) || rows != other.rows || dim != other.dim) {
      return false;
    }
    float[] a = new float[dim];
    float[] b = new float[dim];
    boolean sameLayout = chunkShift == other.chunkShift;
    for (int row = 0; row < rows; row++) {
      if (sameLayout && (row & chunkMask) == 0) {
        int c = row >>> chunkShift;
        if (chunks[c] == null && other.chunks[c] == null && init.equals(other.init)) {
          row += (1 << chunkShift) - 1; // both chunks hold the same initial values
          continue;
        }
      }
      readRow(row, a, 0);
      other.readRow(row, b, 0);
      for (int k = 0; k < dim; k++) {
        if (Float.floatToRawIntBits(a[k]) != Float.floatToRawIntBits(b[k])) {
          return false;
        }
      }
    }
    return true;
  }

  /** Bytes {@link #writeTo} writes. */
  long serializedBytes() {
    long bytes = BinaryIo.utfLength(name) + 4 + 4 + 4 + 1 + 8 + 8 + 4;
    for (int c = 0; c < chunks.length; c++) {
      bytes += 1;
      if (chunks[c] != null) {
        bytes += 4L * chunks[c].length;
      }
    }
    return bytes;
  }

  /** Header, then per chunk a flag (0: initial values, regenerated on read; 1: the chunk's floats). */
  void writeTo(DataOutput out) throws IOException {
    out.writeUTF(name);
    out.writeInt(rows);
    out.writeInt(dim);
    out.writeInt(chunkShift);
    out.writeByte(init.kind().ordinal());
    out.writeLong(init.seed());
    out.writeDouble(init.std());
    out.writeInt(chunks.length);
    for (float[] chunk : chunks) {
      if (chunk == null) {
        out.writeByte(0);
      } else {
        out.writeByte(1);
        BinaryIo.writeFloats(out, chunk, 0, chunk.length);
      }
    }
  }

  static EmbeddingTable readFrom(DataInput in) throws IOException {
    String name = in.readUTF();
    int rows = BinaryIo.checkedCount(in.readInt(), "row count of table '" + name + "'");
    int dim = in.readInt();
    int chunkShift = in.readInt();
    int kindOrdinal = in.readUnsignedByte();
    long seed = in.readLong();
    double std = in.readDouble();
    TableInit.Kind[] kinds = TableInit.Kind.values();
    if (kindOrdinal >= kinds.length) {
      throw new IOException("table '" + name + "': unknown initialiser kind " + kindOrdinal
          + " (written by a newer version?)");
    }
    EmbeddingTable table;
    try {
      table = new EmbeddingTable(name, rows, dim, TableInit.of(kinds[kindOrdinal], seed, std), chunkShift);
    } catch (IllegalArgumentException e) {
      throw new IOException("corrupt table header: " + e.getMessage(), e);
    }
    int chunkCount = in.readInt();
    if (chunkCount != table.chunks.length) {
      throw new IOException("table '" + name + "': " + chunkCount + " chunks in the stream, "
          + table.chunks.length + " expected for " + rows + " rows");
    }
    for (int c = 0; c < chunkCount; c++) {
      int flag = in.readUnsignedByte();
      if (flag == 1) {
        float[] chunk = new float[table.chunkFloats(c)];
        BinaryIo.readFloats(in, chunk, 0, chunk.length);
        table.chunks[c] = chunk;
      } else if (flag != 0) {
        throw new IOException("table '" + name + "': corrupt chunk flag " + flag + " at chunk " + c);
      }
    }
    return table;
  }
}
