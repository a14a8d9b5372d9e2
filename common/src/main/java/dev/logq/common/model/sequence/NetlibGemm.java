package dev.logq.common.model.sequence;

import dev.ludovic.netlib.blas.BLAS;

/**
 * {@link Gemm} through dev.ludovic.netlib (the BLAS Spark ships): a native BLAS through JNI when one loads,
 * else the JDK Vector API implementation, else plain Java. Row-major products are column-major products of the
 * transposes: row-major X[r x c] is column-major X^T with leading dimension c. Bits depend on which
 * implementation {@link BLAS#getInstance()} picked (and, for a native one, its thread count): deterministic run to
 * run on one machine setup, not across setups.
 */
final class NetlibGemm extends Gemm {

  private static final BLAS DEFAULT = BLAS.getInstance();

  private final BLAS blas;

  /** netlib's own choice ({@link BLAS#getInstance()}: native when one loads). */
  NetlibGemm() {
    this(DEFAULT);
  }

  NetlibGemm(BLAS blas) {
    this.blas = blas;
  }

  /** netlib's pure-Java implementation (the Vector API one when jdk.incubator.vector is present). */
  static NetlibGemm java() {
    return new NetlibGemm(dev.ludovic.netlib.blas.JavaBLAS.getInstance());
  }

  /** The implementation class netlib picked in this JVM. */
  static String implementation() {
    return DEFAULT.getClass().getName();
  }

  String instanceClass() {
    return blas.getClass().getName();
  }

  @Override
  void abT(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k) {
    if (m == 0 || n == 0) {
      return;
    }
    // C^T[n x m] = B A^T: B is column-major B^T (k x n) -> "T"; A is column-major A^T (k x m) -> "N".
    blas.sgemm("T", "N", n, m, k, 1f, b, bo, k, a, ao, k, 0f, out, oo, n);
  }

  @Override
  void abAdd(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k) {
    if (m == 0 || n == 0 || k == 0) {
      return;
    }
    // C^T[n x m] += B^T A^T: B is column-major B^T (n x k); A is column-major A^T (k x m).
    blas.sgemm("N", "N", n, m, k, 1f, b, bo, n, a, ao, k, 1f, out, oo, n);
  }

  @Override
  void aTbAdd(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k) {
    if (k == 0 || n == 0 || m == 0) {
      return;
    }
    // C^T[n x k] += B^T A: B is column-major B^T (n x m); A is column-major A^T (k x m) -> "T".
    blas.sgemm("N", "T", n, k, m, 1f, b, bo, n, a, ao, k, 1f, out, oo, n);
  }
}
