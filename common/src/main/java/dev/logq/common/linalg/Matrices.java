package dev.logq.common.linalg;

/**
 * Dense row-major float matrix products used by the towers and the losses. The three shapes below are
 * all a training step needs: scores = U V^T, dU = G V, dV = G^T U.
 */
public final class Matrices {

  private Matrices() {}

  /** out[m x n] = a[m x k] * b[n x k]^T (overwrites out). */
  public static void multiplyTransposed(float[] a, float[] b, float[] out, int m, int n, int k) {
    for (int i = 0; i < m; i++) {
      int ai = i * k;
      int oi = i * n;
      for (int j = 0; j < n; j++) {
        int bj = j * k;
        float sum = 0f;
        for (int p = 0; p < k; p++) {
          sum += a[ai + p] * b[bj + p];
        }
        out[oi + j] = sum;
      }
    }
  }

  /** out[m x n] += a[m x k] * b[k x n]. */
  public static void multiplyAdd(float[] a, float[] b, float[] out, int m, int n, int k) {
    for (int i = 0; i < m; i++) {
      int ai = i * k;
      int oi = i * n;
      for (int p = 0; p < k; p++) {
        float av = a[ai + p];
        if (av == 0f) {
          continue;
        }
        int bp = p * n;
        for (int j = 0; j < n; j++) {
          out[oi + j] += av * b[bp + j];
        }
      }
    }
  }

  /** out[k x n] += a[m x k]^T * b[m x n]. */
  public static void transposeMultiplyAdd(float[] a, float[] b, float[] out, int m, int n, int k) {
    for (int i = 0; i < m; i++) {
      int ai = i * k;
      int bi = i * n;
      for (int p = 0; p < k; p++) {
        float av = a[ai + p];
        if (av == 0f) {
          continue;
        }
        int op = p * n;
        for (int j = 0; j < n; j++) {
          out[op + j] += av * b[bi + j];
        }
      }
    }
  }
}
