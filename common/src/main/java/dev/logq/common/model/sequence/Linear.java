package dev.logq.common.model.sequence;

/**
 * y = x W^T + b on m rows, W [out x in] row-major (as torch.nn.Linear), through a {@link Gemm}.
 */
final class Linear {

  private Linear() {}

  static void forward(Gemm gemm, float[] x, float[] w, float[] b, float[] y, int m, int in, int out) {
    gemm.abT(x, 0, w, 0, y, 0, m, out, in);
    for (int r = 0; r < m; r++) {
      int base = r * out;
      for (int j = 0; j < out; j++) {
        y[base + j] += b[j];
      }
    }
  }

  /** dx += dy W (dx may be null: not needed); dW += dy^T x; db += column sums of dy. */
  static void backward(Gemm gemm, float[] dy, float[] x, float[] w, float[] dx, float[] dW, float[] dB,
                       int m, int in, int out) {
    if (dx != null) {
      gemm.abAdd(dy, 0, w, 0, dx, 0, m, in, out);
    }
    gemm.aTbAdd(dy, 0, x, 0, dW, 0, m, in, out);
    for (int r = 0; r < m; r++) {
      int base = r * out;
      for (int j = 0; j < out; j++) {
        dB[j] += dy[base + j];
      }
    }
  }
}
