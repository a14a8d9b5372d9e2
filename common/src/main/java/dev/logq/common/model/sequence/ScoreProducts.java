package dev.logq.common.model.sequence;

/**
 * The score products of the two-tower step on whole row-major arrays, through the encoder's {@link Gemm}
 * (netlib: native OpenBLAS through JNI when one loads). {@code TwoTowerModel} uses it for the SEQUENCE tower,
 * whose B x L loss rows make these products as large as the encoder's; the id and history towers keep
 * {@code linalg.Matrices}, whose bits their recorded models pin. Thread-safe: netlib holds no per-call state.
 */
public final class ScoreProducts {

  private static final Gemm GEMM = new NetlibGemm();

  private ScoreProducts() {}

  /** out[m x n] = a[m x k] b[n x k]^T (overwrites). */
  public static void multiplyTransposed(float[] a, float[] b, float[] out, int m, int n, int k) {
    GEMM.abT(a, 0, b, 0, out, 0, m, n, k);
  }

  /** out[m x n] += a[m x k] b[k x n]. */
  public static void multiplyAdd(float[] a, float[] b, float[] out, int m, int n, int k) {
    GEMM.abAdd(a, 0, b, 0, out, 0, m, n, k);
  }

  /** out[k x n] += a[m x k]^T b[m x n]. */
  public static void transposeMultiplyAdd(float[] a, float[] b, float[] out, int m, int n, int k) {
    GEMM.aTbAdd(a, 0, b, 0, out, 0, m, n, k);
  }
}
