package dev.logq.common.model;

import java.util.Arrays;

/**
 * Some rows of one embedding table: strictly increasing row ids and their values, row-major. The ids
 * never change after construction; the values belong to the {@link TensorPatch} that holds this object
 * (it scales and sums them in place).
 */
public final class SparseRows {

  private final int dim;
  private final int[] ids;
  private final float[] values;

  /**
   * Takes ownership of the arrays. {@code ids} must be strictly increasing and non-negative;
   * {@code values.length == ids.length * dim}.
   */
  public SparseRows(int dim, int[] ids, float[] values) {
    if (dim < 1) {
      throw new IllegalArgumentException("sparse rows: dim must be >= 1, got " + dim);
    }
    if ((long) ids.length * dim != values.length) {
      throw new IllegalArgumentException("sparse rows: " + ids.length + " ids x dim " + dim + " needs "
          + (long) ids.length * dim + " values, got " + values.length);
    }
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || (i > 0 && ids[i] <= ids[i - 1])) {
        throw new IllegalArgumentException("sparse rows: ids must be non-negative and strictly increasing; "
            + "position " + i + " holds " + ids[i] + (i > 0 ? " after " + ids[i - 1] : ""));
      }
    }
    this.dim = dim;
    this.ids = ids;
    this.values = values;
  }

  /** No validation: for callers that built sorted unique ids themselves. */
  static SparseRows trusted(int dim, int[] ids, float[] values) {
    return new SparseRows(dim, ids, values, true);
  }

  private SparseRows(int dim, int[] ids, float[] values, boolean trusted) {
    this.dim = dim;
    this.ids = ids;
    this.values = values;
  }

  public static SparseRows empty(int dim) {
    return new SparseRows(dim, new int[0], new float[0]);
  }

  public int dim() {
    return dim;
  }

  /** Number of rows held. */
  public int size() {
    return ids.length;
  }

  /** Row id at position i (positions are in increasing id order). */
  public int rowId(int i) {
    return ids[i];
  }

  /** A copy of the row ids. */
  public int[] rowIds() {
    return ids.clone();
  }

  public float get(int i, int col) {
    return values[i * dim + col];
  }

  /** Copies the row at position i to dst[off..off+dim). */
  public void copyRow(int i, float[] dst, int off) {
    System.arraycopy(values, i * dim, dst, off, dim);
  }

  /** Copies every row's values, in position order, to dst[off..off+size*dim). */
  public void copyAll(float[] dst, int off) {
    System.arraycopy(values, 0, dst, off, values.length);
  }

  /** Position of row id {@code row}, or a negative number when absent. */
  public int indexOf(int row) {
    return Arrays.binarySearch(ids, row);
  }

  int[] idsArray() {
    return ids;
  }

  float[] valuesArray() {
    return values;
  }

  SparseRows copy() {
    return new SparseRows(dim, ids.clone(), values.clone(), true);
  }

  void scaleInPlace(float scale) {
    for (int i = 0; i < values.length; i++) {
      values[i] *= scale;
    }
  }

  /**
   * this + scale * other over the union of rows, merged in id order. A row only in {@code this} keeps
   * its bits; a row only in {@code other} becomes {@code scale * value}; a shared row becomes
   * {@code this + scale * other}, so the result is a fixed function of the inputs.
   */
  SparseRows plusScaled(SparseRows other, float scale) {
    if (other.dim != dim) {
      throw new IllegalArgumentException("cannot add sparse rows of dim " + other.dim + " to rows of dim " + dim);
    }
    int[] a = ids;
    int[] b = other.ids;
    int union = 0;
    for (int i = 0, j = 0; i < a.length || j < b.length; union++) {
      if (j >= b.length || (i < a.length && a[i] < b[j])) {
        i++;
      } else if (i >= a.length || b[j] < a[i]) {
        j++;
      } else {
        i++;
        j++;
      }
    }
    if (union == a.length) {
      // Every row of other is already here: add in place.
      for (int i = 0, j = 0; j < b.length; i++) {
        if (a[i] == b[j]) {
          int ai = i * dim;
          int bj = j * dim;
          for (int k = 0; k < dim; k++) {
            values[ai + k] += scale * other.values[bj + k];
          }
          j++;
        }
      }
      return this;
    }
    int[] outIds = new int[union];
    float[] outValues = new float[union * dim];
    int o = 0;
    for (int i = 0, j = 0; i < a.length || j < b.length; o++) {
      int oo = o * dim;
      if (j >= b.length || (i < a.length && a[i] < b[j])) {
        outIds[o] = a[i];
        System.arraycopy(values, i * dim, outValues, oo, dim);
        i++;
      } else if (i >= a.length || b[j] < a[i]) {
        outIds[o] = b[j];
        int bj = j * dim;
        for (int k = 0; k < dim; k++) {
          outValues[oo + k] = scale * other.values[bj + k];
        }
        j++;
      } else {
        outIds[o] = a[i];
        int ai = i * dim;
        int bj = j * dim;
        for (int k = 0; k < dim; k++) {
          outValues[oo + k] = values[ai + k] + scale * other.values[bj + k];
        }
        i++;
        j++;
      }
    }
    return new SparseRows(dim, outIds, outValues, true);
  }

  boolean bitwiseEquals(SparseRows other) {
    if (dim != other.dim || !Arrays.equals(ids, other.ids) || values.length != other.values.length) {
      return false;
    }
    for (int i = 0; i < values.length; i++) {
      if (Float.floatToRawIntBits(values[i]) != Float.floatToRawIntBits(other.values[i])) {
        return false;
      }
    }
    return true;
  }
}
