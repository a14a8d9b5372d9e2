package dev.logq.common.model.sequence;

/**
 * Row-wise layer normalisation, y = gamma * (x - mu) * rstd + beta with rstd = 1 / sqrt(var + EPS) (biased
 * variance over the d features, as torch.nn.LayerNorm). Row statistics are accumulated in double, in index
 * order, then rounded to float.
 */
final class LayerNorm {

  /** torch.nn.LayerNorm's default. */
  static final double EPS = 1e-5;

  private LayerNorm() {}

  /** y[m x d] from x[m x d]; mean[m] and rstd[m] are written for the backward pass. */
  static void forward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd, int m, int d) {
    for (int r = 0; r < m; r++) {
      int base = r * d;
      double sum = 0.0;
      for (int k = 0; k < d; k++) {
        sum += x[base + k];
      }
      double mu = sum / d;
      double sq = 0.0;
      for (int k = 0; k < d; k++) {
        double c = x[base + k] - mu;
        sq += c * c;
      }
      float mf = (float) mu;
      float rs = (float) (1.0 / Math.sqrt(sq / d + EPS));
      mean[r] = mf;
      rstd[r] = rs;
      for (int k = 0; k < d; k++) {
        y[base + k] = gamma[k] * ((x[base + k] - mf) * rs) + beta[k];
      }
    }
  }

  /**
   * With xhat = (x - mu) * rstd and g = dy * gamma: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), added to
   * {@code dx}; dgamma += sum_r dy * xhat, dbeta += sum_r dy.
   */
  static void backward(float[] dy, float[] x, float[] mean, float[] rstd, float[] gamma, float[] dx,
                       float[] dGamma, float[] dBeta, int m, int d) {
    for (int r = 0; r < m; r++) {
      int base = r * d;
      float mf = mean[r];
      float rs = rstd[r];
      double sumG = 0.0;
      double sumGx = 0.0;
      for (int k = 0; k < d; k++) {
        float xhat = (x[base + k] - mf) * rs;
        float g = dy[base + k] * gamma[k];
        sumG += g;
        sumGx += (double) g * xhat;
        dGamma[k] += dy[base + k] * xhat;
        dBeta[k] += dy[base + k];
      }
      float meanG = (float) (sumG / d);
      float meanGx = (float) (sumGx / d);
      for (int k = 0; k < d; k++) {
        float xhat = (x[base + k] - mf) * rs;
        float g = dy[base + k] * gamma[k];
        dx[base + k] += rs * (g - meanG - xhat * meanGx);
      }
    }
  }
}
