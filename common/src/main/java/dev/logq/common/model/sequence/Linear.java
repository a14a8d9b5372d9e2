package dev.logq.common.model.sequence;

/**
 * y = x W^T + b on m rows, W [out x in] row-major (as torch.nn.Linear), through a {@link Gemm}.
 *
 * <p>Row-wise results (y, dx) are computed in blocks of {@code block} rows (the encoder passes L: one sequence per
 * product), so every product has the same shape whatever the batch size. A BLAS may pick its kernels, and so
 * the rounding of a row, by the product's shape (OpenBLAS does); fixed shapes keep a sequence's outputs
 * bit-identical whatever the other sequences of its batch are. A backend whose rows never depend on the shape
 * ({@link Gemm#rowsIndependentOfShape}) gets one product over all m rows instead: the same bits, fewer calls. The
 * weight gradient is one product over all m rows.
 */
final class Linear {

  private Linear() {}

  static void forward(Gemm gemm, float[] x, float[] w, float[] b, float[] y, int m, int in, int out) {
    forward(gemm, x, w, b, y, m, in, out, m);
  }

  static void forward(Gemm gemm, float[] x, float[] w, float[] b, float[] y, int m, int in, int out, int block) {
    checkBlock(m, block);
    block = gemm.rowsIndependentOfShape() ? m : block;
    for (int r0 = 0; r0 < m; r0 += block) {
      gemm.abT(x, r0 * in, w, 0, y, r0 * out, block, out, in);
    }
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
    backward(gemm, dy, x, w, dx, dW, dB, m, in, out, m);
  }

  static void backward(Gemm gemm, float[] dy, float[] x, float[] w, float[] dx, float[] dW, float[] dB,
                       int m, int in, int out, int block) {
    checkBlock(m, block);
    block = gemm.rowsIndependentOfShape() ? m : block;
    if (dx != null) {
      for (int r0 = 0; r0 < m; r0 += block) {
        gemm.abAdd(dy, r0 * out, w, 0, dx, r0 * in, block, in, out);
      }
    }
    gemm.aTbAdd(dy, 0, x, 0, dW, 0, m, in, out);
    for (int r = 0; r < m; r++) {
      int base = r * out;
      for (int j = 0; j < out; j++) {
        dB[j] += dy[base + j];
      }
    }
  }

  private static void checkBlock(int m, int block) {
    if (block < 1 || m % block != 0) {
      throw new IllegalArgumentException(m + " rows are not whole blocks of " + block);
    }
  }
}
