package dev.logq.common.model.sequence;

/**
 * The score products of the two-tower step on whole row-major arrays, through the encoder's backend
 * ({@link Gemm#defaultKind}: {@code linalg.FusedMatrices}; {@code linalg.Matrices} or netlib's native BLAS with
 * -Dlogq.sequenceBlas=matrices or native).
 * {@code TwoTowerModel} uses it for the SEQUENCE tower, whose B x L loss rows make these products as large as the
 * encoder's; the id and history towers always use {@code linalg.Matrices}, whose bits their recorded models pin.
 * Thread-safe: no backend holds per-call state here.
 */
public final class ScoreProducts {

  /** The backend, or null for Matrices' static kernels (MatricesGemm's scratch buffers are not thread-safe). */
  private static final Gemm GEMM = Gemm.defaultKind() == Gemm.Kind.MATRICES ? null : Gemm.create(Gemm.defaultKind());

  private ScoreProducts() {}

  /** out[m x n] = a[m x k] b[n x k]^T (overwrites). */
  public static void multiplyTransposed(float[] a, float[] b, float[] out, int m, int n, int k) {
    if (GEMM == null) {
      dev.logq.common.linalg.Matrices.multiplyTransposed(a, b, out, m, n, k);
    } else {
      GEMM.abT(a, 0, b, 0, out, 0, m, n, k);
    }
  }

  /** out[m x n] += a[m x k] b[k x n]. */
  public static void multiplyAdd(float[] a, float[] b, float[] out, int m, int n, int k) {
    if (GEMM == null) {
      dev.logq.common.linalg.Matrices.multiplyAdd(a, b, out, m, n, k);
    } else {
      GEMM.abAdd(a, 0, b, 0, out, 0, m, n, k);
    }
  }

  /** out[k x n] += a[m x k]^T b[m x n]. */
  public static void transposeMultiplyAdd(float[] a, float[] b, float[] out, int m, int n, int k) {
    if (GEMM == null) {
      dev.logq.common.linalg.Matrices.transposeMultiplyAdd(a, b, out, m, n, k);
    } else {
      GEMM.aTbAdd(a, 0, b, 0, out, 0, m, n, k);
    }
  }
}
