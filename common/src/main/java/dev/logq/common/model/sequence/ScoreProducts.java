package dev.logq.common.model.sequence;

/**
 * The score products of the two-tower step on whole row-major arrays, for every user tower, through the sequence
 * encoder's backend ({@link Gemm#defaultKind}: {@code linalg.FusedMatrices}; {@code linalg.Matrices} or netlib's
 * native BLAS with -Dlogq.sequenceBlas=matrices or native; the property's name predates the other towers' use).
 * The fused kernels made the id tower's gradient at B = 1,024, d = 64 about 19 % cheaper than {@code Matrices}
 * (StepCostBenchmark: 4.60 against 5.67 CPU-ms) and are deterministic on every layout, as Matrices is.
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
