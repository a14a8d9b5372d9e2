package dev.logq.common.linalg;

import java.util.Arrays;

/**
 * Dense row-major float matrix products used by the towers and the losses. The three shapes below are
 * all a training step needs: scores = U V^T, dU = G V, dV = G^T U.
 *
 * <p><b>Why the loops look like this.</b> Plain Java is only fast here when HotSpot's C2 compiler turns the
 * innermost loop into SIMD code, and on Java 17 it does so only for narrow loop shapes, found by measurement
 * on this code: every array in the loop indexed by the loop variable itself ({@code x[j]}, not
 * {@code x[base + j]} with a run-time base), at most one load per array, at most two accumulators, and the
 * kernel loop written inline in the method that allocates its accumulators (the same loop in a helper that
 * receives the accumulator as a parameter ran 4 times slower). So each kernel first copies the operand rows it
 * streams into separate arrays (a few hundred KB, small next to the product), accumulates output rows in arrays
 * of its own, and adds 4 or 8 rank-one terms per pass so that every load and store of an accumulator does 4 to
 * 8 multiply-adds. Loop nests that are not the kernel (transposing, an odd last row) live in methods of their
 * own: next to the kernel they made its compilation fast in some JVM runs and 4 times slower in others. On an
 * AVX-512 core this is 8 to 10 times faster than the textbook loops and within about 1.6 to 2.6 times of
 * single-threaded OpenBLAS at B = 1024, d = 64 (numbers and the comparison with ND4J in docs/decisions.md).
 *
 * <p><b>Tall, narrow results.</b> The backward products of a step, dU = G V and dV = G^T U, have only n = d = 64
 * columns, so the row kernels' inner loops would be 64 long and spend much of their time entering and leaving
 * the vectorised loop. For m &gt; n ({@link #multiplyAdd}) and k &gt; n ({@link #transposeMultiplyAdd}) the result
 * is therefore accumulated column by column instead (each column a separate array as long as the batch), with
 * the streamed operand's rows or columns copied eight at a time. Every output element receives the same
 * terms, grouped and ordered the same way, in both layouts, so the choice changes speed, never bits
 * (MatricesTest checks both layouts against one scalar definition). Measured at B = 1024, d = 64 by CPU time:
 * dV 4.8 to 3.6 ms, dU 5.0 to 4.1 ms (docs/benchmarks.md).
 *
 * <p>Sums are in float, in a fixed order: results are deterministic for a given input and shape, and differ from
 * a double-precision product by float rounding only.
 */
public final class Matrices {

  private Matrices() {}

  /** out[m x n] = a[m x k] * b[n x k]^T (overwrites out). */
  public static void multiplyTransposed(float[] a, float[] b, float[] out, int m, int n, int k) {
    checkSizes(a, (long) m * k, "a", b, (long) n * k, "b", out, (long) m * n);
    if (m == 0 || n == 0) {
      return;
    }
    timesTransposedRows(a, transposedRows(b, n, k), out, m, n, k);
  }

  /** Row p of the result is column p of the row-major n x k matrix b. */
  private static float[][] transposedRows(float[] b, int n, int k) {
    float[][] bt = new float[k][n];
    for (int j = 0; j < n; j++) {
      int bj = j * k;
      for (int p = 0; p < k; p++) {
        bt[p][j] = b[bj + p];
      }
    }
    return bt;
  }

  /** out row i = sum_p a[i, p] * bt[p]. */
  private static void timesTransposedRows(float[] a, float[][] bt, float[] out, int m, int n, int k) {
    float[] acc0 = new float[n];
    float[] acc1 = new float[n];
    int i = 0;
    // Two output rows per pass share the loads of bt; four terms per accumulator load/store.
    for (; i + 1 < m; i += 2) {
      int ai = i * k;
      int aj = ai + k;
      Arrays.fill(acc0, 0f);
      Arrays.fill(acc1, 0f);
      int p = 0;
      for (; p + 3 < k; p += 4) {
        float x0 = a[ai + p];
        float x1 = a[ai + p + 1];
        float x2 = a[ai + p + 2];
        float x3 = a[ai + p + 3];
        float y0 = a[aj + p];
        float y1 = a[aj + p + 1];
        float y2 = a[aj + p + 2];
        float y3 = a[aj + p + 3];
        float[] b0 = bt[p];
        float[] b1 = bt[p + 1];
        float[] b2 = bt[p + 2];
        float[] b3 = bt[p + 3];
        for (int j = 0; j < n; j++) {
          float v0 = b0[j];
          float v1 = b1[j];
          float v2 = b2[j];
          float v3 = b3[j];
          acc0[j] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3;
          acc1[j] += y0 * v0 + y1 * v1 + y2 * v2 + y3 * v3;
        }
      }
      for (; p < k; p++) {
        float x0 = a[ai + p];
        float y0 = a[aj + p];
        float[] b0 = bt[p];
        for (int j = 0; j < n; j++) {
          acc0[j] += x0 * b0[j];
          acc1[j] += y0 * b0[j];
        }
      }
      System.arraycopy(acc0, 0, out, i * n, n);
      System.arraycopy(acc1, 0, out, (i + 1) * n, n);
    }
    if (i < m) {
      lastRow(a, i * k, k, bt, out, i * n, n);
    }
  }

  /** out[m x n] += a[m x k] * b[k x n]. */
  public static void multiplyAdd(float[] a, float[] b, float[] out, int m, int n, int k) {
    checkSizes(a, (long) m * k, "a", b, (long) k * n, "b", out, (long) m * n);
    if (m == 0 || n == 0) {
      return;
    }
    if (m > n) {
      multiplyAddByColumns(a, b, out, m, n, k);
      return;
    }
    float[][] bRows = rows(b, k, n);
    float[] acc = new float[n];
    for (int i = 0; i < m; i++) {
      int ai = i * k;
      int oi = i * n;
      System.arraycopy(out, oi, acc, 0, n);
      // acc += sum_p a[i, p] * b row p, eight terms per pass over acc.
      int p = 0;
      for (; p + 7 < k; p += 8) {
        int ap = ai + p;
        float x0 = a[ap];
        float x1 = a[ap + 1];
        float x2 = a[ap + 2];
        float x3 = a[ap + 3];
        float x4 = a[ap + 4];
        float x5 = a[ap + 5];
        float x6 = a[ap + 6];
        float x7 = a[ap + 7];
        float[] b0 = bRows[p];
        float[] b1 = bRows[p + 1];
        float[] b2 = bRows[p + 2];
        float[] b3 = bRows[p + 3];
        float[] b4 = bRows[p + 4];
        float[] b5 = bRows[p + 5];
        float[] b6 = bRows[p + 6];
        float[] b7 = bRows[p + 7];
        for (int j = 0; j < n; j++) {
          acc[j] += x0 * b0[j] + x1 * b1[j] + x2 * b2[j] + x3 * b3[j]
              + x4 * b4[j] + x5 * b5[j] + x6 * b6[j] + x7 * b7[j];
        }
      }
      for (; p < k; p++) {
        float x0 = a[ai + p];
        float[] b0 = bRows[p];
        for (int j = 0; j < n; j++) {
          acc[j] += x0 * b0[j];
        }
      }
      System.arraycopy(acc, 0, out, oi, n);
    }
  }

  /** out[k x n] += a[m x k]^T * b[m x n]. */
  public static void transposeMultiplyAdd(float[] a, float[] b, float[] out, int m, int n, int k) {
    checkSizes(a, (long) m * k, "a", b, (long) m * n, "b", out, (long) k * n);
    if (k == 0 || n == 0) {
      return;
    }
    if (k > n) {
      transposeMultiplyAddByColumns(a, b, out, m, n, k);
      return;
    }
    float[][] bRows = rows(b, m, n);
    float[][] outRows = rows(out, k, n);
    int i = 0;
    // out row p += sum over 8 rows i of a[i, p] * b row i: each pass over out does 8 terms.
    for (; i + 7 < m; i += 8) {
      int a0 = i * k;
      int a1 = a0 + k;
      int a2 = a1 + k;
      int a3 = a2 + k;
      int a4 = a3 + k;
      int a5 = a4 + k;
      int a6 = a5 + k;
      int a7 = a6 + k;
      float[] b0 = bRows[i];
      float[] b1 = bRows[i + 1];
      float[] b2 = bRows[i + 2];
      float[] b3 = bRows[i + 3];
      float[] b4 = bRows[i + 4];
      float[] b5 = bRows[i + 5];
      float[] b6 = bRows[i + 6];
      float[] b7 = bRows[i + 7];
      for (int p = 0; p < k; p++) {
        float x0 = a[a0 + p];
        float x1 = a[a1 + p];
        float x2 = a[a2 + p];
        float x3 = a[a3 + p];
        float x4 = a[a4 + p];
        float x5 = a[a5 + p];
        float x6 = a[a6 + p];
        float x7 = a[a7 + p];
        float[] o = outRows[p];
        for (int j = 0; j < n; j++) {
          o[j] += x0 * b0[j] + x1 * b1[j] + x2 * b2[j] + x3 * b3[j]
              + x4 * b4[j] + x5 * b5[j] + x6 * b6[j] + x7 * b7[j];
        }
      }
    }
    for (; i < m; i++) {
      int ai = i * k;
      float[] b0 = bRows[i];
      for (int p = 0; p < k; p++) {
        float x0 = a[ai + p];
        float[] o = outRows[p];
        for (int j = 0; j < n; j++) {
          o[j] += x0 * b0[j];
        }
      }
    }
    for (int p = 0; p < k; p++) {
      System.arraycopy(outRows[p], 0, out, p * n, n);
    }
  }

  /**
   * out row = a row times bt, for an odd last row. A method of its own: written inline after the two-row loop
   * it stopped C2 from vectorising that loop (measured: 3 ms became 14 ms).
   */
  private static void lastRow(float[] a, int ai, int k, float[][] bt, float[] out, int oi, int n) {
    float[] acc = new float[n];
    for (int p = 0; p < k; p++) {
      float x0 = a[ai + p];
      float[] b0 = bt[p];
      for (int j = 0; j < n; j++) {
        acc[j] += x0 * b0[j];
      }
    }
    System.arraycopy(acc, 0, out, oi, n);
  }

  /**
   * multiplyAdd for a tall, narrow result (m &gt; n, e.g. dU = G V: 1024 x 1024 times 1024 x 64), accumulated
   * column by column: outColumns[j] (length m) += sum_p a[., p] * b[p, j]. The inner loop then runs over the m
   * rows instead of the n = 64 columns, the columns of a are copied into separate arrays eight at a time, and
   * every output element gets exactly the same terms, grouped and ordered as in the row kernel of
   * {@link #multiplyAdd}: the results are bit-identical, only faster (3 to 5 times at the step's shapes).
   */
  private static void multiplyAddByColumns(float[] a, float[] b, float[] out, int m, int n, int k) {
    float[][] outColumns = new float[n][m];
    toColumns(out, outColumns, m, n);
    float[] a0 = new float[m];
    float[] a1 = new float[m];
    float[] a2 = new float[m];
    float[] a3 = new float[m];
    float[] a4 = new float[m];
    float[] a5 = new float[m];
    float[] a6 = new float[m];
    float[] a7 = new float[m];
    int p = 0;
    for (; p + 7 < k; p += 8) {
      eightColumns(a, m, k, p, a0, a1, a2, a3, a4, a5, a6, a7);
      int bp = p * n;
      for (int j = 0; j < n; j++) {
        float x0 = b[bp + j];
        float x1 = b[bp + n + j];
        float x2 = b[bp + 2 * n + j];
        float x3 = b[bp + 3 * n + j];
        float x4 = b[bp + 4 * n + j];
        float x5 = b[bp + 5 * n + j];
        float x6 = b[bp + 6 * n + j];
        float x7 = b[bp + 7 * n + j];
        float[] o = outColumns[j];
        for (int i = 0; i < m; i++) {
          o[i] += x0 * a0[i] + x1 * a1[i] + x2 * a2[i] + x3 * a3[i]
              + x4 * a4[i] + x5 * a5[i] + x6 * a6[i] + x7 * a7[i];
        }
      }
    }
    for (; p < k; p++) {
      column(a, m, k, p, a0);
      for (int j = 0; j < n; j++) {
        float x0 = b[p * n + j];
        float[] o = outColumns[j];
        for (int i = 0; i < m; i++) {
          o[i] += x0 * a0[i];
        }
      }
    }
    fromColumns(outColumns, out, m, n);
  }

  /**
   * transposeMultiplyAdd for k &gt; n (e.g. dV = G^T U: the 1024 x 1024 G^T times 1024 x 64), accumulated column
   * by column: outColumns[j] (length k) += sum_i b[i, j] * a row i, eight rows of a per pass. Same terms in the
   * same grouping and order as the row kernel of {@link #transposeMultiplyAdd}: bit-identical results.
   */
  private static void transposeMultiplyAddByColumns(float[] a, float[] b, float[] out, int m, int n, int k) {
    float[][] outColumns = new float[n][k];
    toColumns(out, outColumns, k, n);
    float[] a0 = new float[k];
    float[] a1 = new float[k];
    float[] a2 = new float[k];
    float[] a3 = new float[k];
    float[] a4 = new float[k];
    float[] a5 = new float[k];
    float[] a6 = new float[k];
    float[] a7 = new float[k];
    int i = 0;
    for (; i + 7 < m; i += 8) {
      int ai = i * k;
      System.arraycopy(a, ai, a0, 0, k);
      System.arraycopy(a, ai + k, a1, 0, k);
      System.arraycopy(a, ai + 2 * k, a2, 0, k);
      System.arraycopy(a, ai + 3 * k, a3, 0, k);
      System.arraycopy(a, ai + 4 * k, a4, 0, k);
      System.arraycopy(a, ai + 5 * k, a5, 0, k);
      System.arraycopy(a, ai + 6 * k, a6, 0, k);
      System.arraycopy(a, ai + 7 * k, a7, 0, k);
      int bi = i * n;
      for (int j = 0; j < n; j++) {
        float x0 = b[bi + j];
        float x1 = b[bi + n + j];
        float x2 = b[bi + 2 * n + j];
        float x3 = b[bi + 3 * n + j];
        float x4 = b[bi + 4 * n + j];
        float x5 = b[bi + 5 * n + j];
        float x6 = b[bi + 6 * n + j];
        float x7 = b[bi + 7 * n + j];
        float[] o = outColumns[j];
        for (int p = 0; p < k; p++) {
          o[p] += x0 * a0[p] + x1 * a1[p] + x2 * a2[p] + x3 * a3[p]
              + x4 * a4[p] + x5 * a5[p] + x6 * a6[p] + x7 * a7[p];
        }
      }
    }
    for (; i < m; i++) {
      System.arraycopy(a, i * k, a0, 0, k);
      for (int j = 0; j < n; j++) {
        float x0 = b[i * n + j];
        float[] o = outColumns[j];
        for (int p = 0; p < k; p++) {
          o[p] += x0 * a0[p];
        }
      }
    }
    fromColumns(outColumns, out, k, n);
  }

  /** c_t[i] = a[i, p + t] for t = 0..7, a row-major m x k. */
  private static void eightColumns(float[] a, int m, int k, int p, float[] c0, float[] c1, float[] c2, float[] c3,
                                   float[] c4, float[] c5, float[] c6, float[] c7) {
    for (int i = 0; i < m; i++) {
      int base = i * k + p;
      c0[i] = a[base];
      c1[i] = a[base + 1];
      c2[i] = a[base + 2];
      c3[i] = a[base + 3];
      c4[i] = a[base + 4];
      c5[i] = a[base + 5];
      c6[i] = a[base + 6];
      c7[i] = a[base + 7];
    }
  }

  /** c[i] = a[i, p], a row-major m x k. */
  private static void column(float[] a, int m, int k, int p, float[] c) {
    for (int i = 0; i < m; i++) {
      c[i] = a[i * k + p];
    }
  }

  /** columns[j][i] = x[i, j], x row-major r x c. */
  private static void toColumns(float[] x, float[][] columns, int r, int c) {
    for (int i = 0; i < r; i++) {
      int base = i * c;
      for (int j = 0; j < c; j++) {
        columns[j][i] = x[base + j];
      }
    }
  }

  /** Writes columns (c arrays of length r) back into the row-major r x c matrix x. */
  private static void fromColumns(float[][] columns, float[] x, int r, int c) {
    for (int i = 0; i < r; i++) {
      int base = i * c;
      for (int j = 0; j < c; j++) {
        x[base + j] = columns[j][i];
      }
    }
  }

  /** The rows of a row-major r x c matrix as separate arrays. */
  private static float[][] rows(float[] x, int r, int c) {
    float[][] out = new float[r][];
    for (int i = 0; i < r; i++) {
      out[i] = Arrays.copyOfRange(x, i * c, i * c + c);
    }
    return out;
  }

  private static void checkSizes(float[] a, long aNeeded, String aName, float[] b, long bNeeded, String bName,
                                 float[] out, long outNeeded) {
    if (aNeeded < 0 || bNeeded < 0 || outNeeded < 0) {
      throw new IllegalArgumentException("negative matrix dimension");
    }
    if (a.length < aNeeded || b.length < bNeeded || out.length < outNeeded) {
      throw new IllegalArgumentException("matrix sizes do not fit the shape: " + aName + " has " + a.length
          + " (needs " + aNeeded + "), " + bName + " has " + b.length + " (needs " + bNeeded + "), out has "
          + out.length + " (needs " + outNeeded + ")");
    }
  }
}
