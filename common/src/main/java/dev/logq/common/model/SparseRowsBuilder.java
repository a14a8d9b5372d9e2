package dev.logq.common.model;

import java.util.Arrays;

/**
 * Accumulates row vectors by row id (a gradient touching the same embedding row several times) and
 * builds {@link SparseRows} sorted by id. Contributions to a row are summed in the order they arrive,
 * so the same sequence of adds always gives the same bits. Memory grows with the distinct rows added,
 * never with the table size. Not thread-safe.
 */
public final class SparseRowsBuilder {

  private final int dim;
  /** Open addressing: keys[slot] = row id + 1 (0 marks an empty slot), slots[slot] = insertion index. */
  private int[] keys;
  private int[] slots;
  private int mask;
  private int[] rowOrder;
  private float[] values;
  private int count;

  public SparseRowsBuilder(int dim, int expectedRows) {
    if (dim < 1) {
      throw new IllegalArgumentException("dim must be >= 1, got " + dim);
    }
    this.dim = dim;
    int capacity = Integer.highestOneBit(Math.max(16, expectedRows * 2 - 1)) << 1;
    keys = new int[capacity];
    slots = new int[capacity];
    mask = capacity - 1;
    rowOrder = new int[Math.max(8, expectedRows)];
    values = new float[rowOrder.length * dim];
  }

  public int dim() {
    return dim;
  }

  /** Distinct rows added so far. */
  public int size() {
    return count;
  }

  /** row += scale * src[off..off+dim). */
  public void add(int row, float[] src, int off, float scale) {
    int base = indexFor(row) * dim;
    for (int k = 0; k < dim; k++) {
      values[base + k] += scale * src[off + k];
    }
  }

  /** row += src[off..off+dim). */
  public void add(int row, float[] src, int off) {
    int base = indexFor(row) * dim;
    for (int k = 0; k < dim; k++) {
      values[base + k] += src[off + k];
    }
  }

  private int indexFor(int row) {
    if (row < 0) {
      throw new IllegalArgumentException("row id must be >= 0, got " + row);
    }
    int key = row + 1;
    int slot = (int) CounterGaussian.mix(row) & mask;
    while (true) {
      int k = keys[slot];
      if (k == key) {
        return slots[slot];
      }
      if (k == 0) {
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (count == rowOrder.length) {
      int grown = rowOrder.length * 2;
      rowOrder = Arrays.copyOf(rowOrder, grown);
      values = Arrays.copyOf(values, grown * dim);
    }
    int index = count++;
    keys[slot] = key;
    slots[slot] = index;
    rowOrder[index] = row;
    if (count * 2 > keys.length) {
      rehash();
    }
    return index;
  }

  private void rehash() {
    int capacity = keys.length * 2;
    keys = new int[capacity];
    slots = new int[capacity];
    mask = capacity - 1;
    for (int index = 0; index < count; index++) {
      int row = rowOrder[index];
      int slot = (int) CounterGaussian.mix(row) & mask;
      while (keys[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      keys[slot] = row + 1;
      slots[slot] = index;
    }
  }

  /** The accumulated rows sorted by id. The builder may be reused after {@link #clear()}. */
  public SparseRows build() {
    long[] order = new long[count];
    for (int i = 0; i < count; i++) {
      order[i] = ((long) rowOrder[i] << 32) | i;
    }
    Arrays.sort(order);
    int[] ids = new int[count];
    float[] out = new float[count * dim];
    for (int i = 0; i < count; i++) {
      int index = (int) order[i];
      ids[i] = (int) (order[i] >>> 32);
      System.arraycopy(values, index * dim, out, i * dim, dim);
    }
    return SparseRows.trusted(dim, ids, out);
  }

  public void clear() {
    Arrays.fill(keys, 0);
    Arrays.fill(values, 0, count * dim, 0f);
    count = 0;
  }
}
