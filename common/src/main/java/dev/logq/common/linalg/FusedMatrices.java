package dev.logq.common.linalg;

import java.util.Arrays;

/**
 * Row-major float matrix products in which every output element is one chain of fused multiply-adds in a fixed
 * order: {@code c[i][j] = fma(a(i, q), b(q, j), c[i][j])} for q = 0, 1, ..., depth - 1, starting from the output's
 * value (0 for {@link #multiplyTransposed}). The sequence tower's encoder and its loss rows use them.
 *
 * <p><b>Bits.</b> IEEE 754 fixes each fma's result, so an element's value depends only on its own inputs and that
 * order: not on the product's shape, on which rows share a call (a sequence's rows give the same bits alone or in
 * any batch), on how the work is tiled, on the vector width (AVX2 and AVX-512 machines agree), on the JIT, or on
 * whether the Vector API is present: the vector path ({@code VectorFusedMatrices}) and the scalar path
 * ({@link #scalarAccumulate}) compute the same chains (FusedMatricesTest checks them against each other and
 * against a double-precision product). They differ from {@link Matrices}, which rounds a product and a sum
 * separately and groups terms by fours and eights.
 *
 * <p><b>Speed.</b> The vector path keeps a tile of 4 output rows by 2 vectors in registers while it streams the
 * reduction: 8 fmas per 2 vector loads and 4 broadcasts, where {@link Matrices}' C2-vectorised loops load and store
 * an accumulator for every 4 to 8 unfused multiply-adds and enter their vectorised loop once per 64-wide row. At
 * the encoder's shapes this is 3 to 10 times faster than {@link Matrices} and about as fast as single-threaded OpenBLAS
 * (docs/decisions.md, "Sequential tower: kernels"). Columns past the last whole vector are computed in a padded
 * one-vector scratch tile (Java 17's masked vector loads are not compiled to vector instructions).
 *
 * <p><b>When.</b> The vector path needs {@code --add-modules=jdk.incubator.vector} (conf/java17.args), an x86-64
 * CPU with 256-bit or wider vectors, and {@value #PROPERTY} not {@code false}; otherwise the scalar loop runs, with
 * the same bits, several times slower.
 */
public final class FusedMatrices {

  /** The system property that turns the vector path off ({@code -Dlogq.vectorGemm=false}). */
  public static final String PROPERTY = "logq.vectorGemm";

  private static final String SCALAR_REASON =
      VectorApiSupport.unavailableReason(PROPERTY, () -> VectorFusedMatrices.supported());
  private static final boolean VECTOR = SCALAR_REASON == null;

  private FusedMatrices() {}

  /** out[m x n] = a[m x k] * b[n x k]^T (overwrites out), with offsets into each array. */
  public static void multiplyTransposed(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n,
                                        int k) {
    multiplyTransposed(a, ao, k, b, bo, k, out, oo, n, m, n, k);
  }

  /**
   * out[m x n] = a[m x k] * b[n x k]^T with leading dimensions (row i of a starts at ao + i * lda, of b at
   * bo + i * ldb, of out at oo + i * ldo); only the n columns of each output row are written.
   */
  public static void multiplyTransposed(float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] out, int oo,
                                        int ldo, int m, int n, int k) {
    check(a, ao, lda, m, k, "a", b, bo, ldb, n, k, "b", out, oo, ldo, m, n);
    for (int i = 0; i < m; i++) {
      Arrays.fill(out, oo + i * ldo, oo + i * ldo + n, 0f);
    }
    if (m == 0 || n == 0 || k == 0) {
      return;
    }
    // b^T [k x n], so that the streamed operand's row q holds b[., q] contiguously.
    float[] bt = new float[k * n];
    for (int j = 0; j < n; j++) {
      int bj = bo + j * ldb;
      for (int q = 0; q < k; q++) {
        bt[q * n + j] = b[bj + q];
      }
    }
    accumulate(a, ao, lda, 1, bt, 0, n, out, oo, ldo, m, n, k);
  }

  /** out[m x n] += a[m x k] * b[k x n], with offsets into each array. */
  public static void multiplyAdd(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k) {
    multiplyAdd(a, ao, k, b, bo, n, out, oo, n, m, n, k);
  }

  /** out[m x n] += a[m x k] * b[k x n] with leading dimensions, as {@link #multiplyTransposed}'s. */
  public static void multiplyAdd(float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] out, int oo,
                                 int ldo, int m, int n, int k) {
    check(a, ao, lda, m, k, "a", b, bo, ldb, k, n, "b", out, oo, ldo, m, n);
    accumulate(a, ao, lda, 1, b, bo, ldb, out, oo, ldo, m, n, k);
  }

  /** out[k x n] += a[m x k]^T * b[m x n], with offsets into each array. */
  public static void transposeMultiplyAdd(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n,
                                          int k) {
    transposeMultiplyAdd(a, ao, k, b, bo, n, out, oo, n, m, n, k);
  }

  /** out[k x n] += a[m x k]^T * b[m x n] with leading dimensions, as {@link #multiplyTransposed}'s. */
  public static void transposeMultiplyAdd(float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] out,
                                          int oo, int ldo, int m, int n, int k) {
    check(a, ao, lda, m, k, "a", b, bo, ldb, m, n, "b", out, oo, ldo, k, n);
    // Output row p, reduction index i: a(p, i) = a[i * lda + p].
    accumulate(a, ao, 1, lda, b, bo, ldb, out, oo, ldo, k, n, m);
  }

  /**
   * c[co + i*ldc + j] = fma chain over q of a[ao + i*ars + q*aqs] * b[bo + q*ldb + j], for i &lt; rows, j &lt; cols,
   * q &lt; depth in increasing order, starting from c's value.
   */
  static void accumulate(float[] a, int ao, int ars, int aqs, float[] b, int bo, int ldb, float[] c, int co, int ldc,
                         int rows, int cols, int depth) {
    if (rows == 0 || cols == 0 || depth == 0) {
      return;
    }
    if (VECTOR) {
      VectorFusedMatrices.accumulate(a, ao, ars, aqs, b, bo, ldb, c, co, ldc, rows, cols, depth);
    } else {
      scalarAccumulate(a, ao, ars, aqs, b, bo, ldb, c, co, ldc, rows, cols, depth);
    }
  }

  /** The reference definition; the vector path computes these chains lane by lane. */
  static void scalarAccumulate(float[] a, int ao, int ars, int aqs, float[] b, int bo, int ldb, float[] c, int co,
                               int ldc, int rows, int cols, int depth) {
    for (int i = 0; i < rows; i++) {
      int ci = co + i * ldc;
      int ai = ao + i * ars;
      for (int q = 0; q < depth; q++) {
        float x = a[ai + q * aqs];
        int bq = bo + q * ldb;
        for (int j = 0; j < cols; j++) {
          c[ci + j] = Math.fma(x, b[bq + j], c[ci + j]);
        }
      }
    }
  }

  /** True when the products use the Vector API. */
  public static boolean vectorized() {
    return VECTOR;
  }

  /** One line for the logs: which path this JVM uses, and why. */
  public static String describe() {
    return VECTOR ? "fused products: Vector API (" + VectorFusedMatrices.lanes() + " float lanes)"
        : "fused products: scalar Math.fma (" + SCALAR_REASON + ")";
  }

  /** Each matrix (rows x cols at offset o, leading dimension ld) must lie inside its array. */
  private static void check(float[] a, int ao, int lda, int ar, int ac, String aName, float[] b, int bo, int ldb,
                            int br, int bc, String bName, float[] out, int oo, int ldo, int or, int oc) {
    checkOne(a, ao, lda, ar, ac, aName);
    checkOne(b, bo, ldb, br, bc, bName);
    checkOne(out, oo, ldo, or, oc, "out");
  }

  private static void checkOne(float[] x, int off, int ld, int rows, int cols, String name) {
    if (rows < 0 || cols < 0 || off < 0 || ld < cols) {
      throw new IllegalArgumentException(name + ": negative dimension or offset, or leading dimension " + ld
          + " below the " + cols + " columns");
    }
    long end = rows == 0 || cols == 0 ? off : off + (long) (rows - 1) * ld + cols;
    if (end > x.length) {
      throw new IllegalArgumentException("matrix sizes do not fit the shape: " + name + " has " + x.length
          + " values, a " + rows + " x " + cols + " matrix from " + off + " with leading dimension " + ld
          + " needs " + end);
    }
  }
}
