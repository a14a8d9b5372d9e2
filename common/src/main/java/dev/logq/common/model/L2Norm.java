package dev.logq.common.model;

/** Row-wise L2 normalisation y = x / max(||x||, EPS) and its backward pass. */
final class L2Norm {

  /** Norms below this are treated as this (keeps y and its gradient finite for a zero row). */
  static final double EPS = 1e-6;

  private L2Norm() {}

  /** y[r] = x[r] / max(||x[r]||, EPS); norms[r] receives the clamped norm. */
  static void forward(float[] x, float[] y, float[] norms, int m, int d) {
    for (int r = 0; r < m; r++) {
      int base = r * d;
      double sum = 0.0;
      for (int k = 0; k < d; k++) {
        double v = x[base + k];
        sum += v * v;
      }
      double norm = Math.max(Math.sqrt(sum), EPS);
      norms[r] = (float) norm;
      float inv = (float) (1.0 / norm);
      for (int k = 0; k < d; k++) {
        y[base + k] = x[base + k] * inv;
      }
    }
  }

  /**
   * dx = (dy - y (y . dy)) / ||x|| for rows whose norm exceeded EPS, dx = dy / EPS for the rest
   * (there y = x / EPS is linear in x). Returns a new array.
   */
  static float[] backward(float[] y, float[] norms, float[] dy, int m, int d) {
    float[] dx = new float[m * d];
    for (int r = 0; r < m; r++) {
      int base = r * d;
      double inv = 1.0 / norms[r];
      if (norms[r] > (float) EPS) {
        double dot = 0.0;
        for (int k = 0; k < d; k++) {
          dot += (double) y[base + k] * dy[base + k];
        }
        for (int k = 0; k < d; k++) {
          dx[base + k] = (float) ((dy[base + k] - y[base + k] * dot) * inv);
        }
      } else {
        for (int k = 0; k < d; k++) {
          dx[base + k] = (float) (dy[base + k] * inv);
        }
      }
    }
    return dx;
  }
}
