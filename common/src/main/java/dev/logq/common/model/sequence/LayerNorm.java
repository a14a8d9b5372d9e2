package dev.logq.common.model.sequence;

/**
 * Row-wise layer normalisation, y = gamma * (x - mu) * rstd + beta with rstd = 1 / sqrt(var + EPS) (biased
 * variance over the d features, as torch.nn.LayerNorm). Row statistics are accumulated in double, as four
 * partial sums over the features k = 0, 1, 2, 3 mod 4 (combined as (s0 + s1) + (s2 + s3), then the features past
 * the last multiple of 4 in order), then rounded to float: a fixed order, so deterministic, and four independent
 * addition chains instead of one (the loop is bound by the adder's latency; 4 chains made it about 3 times
 * faster). Element-wise work runs in loops of its own, which C2 vectorises.
 */
final class LayerNorm {

  /** torch.nn.LayerNorm's default. */
  static final double EPS = 1e-5;

  private LayerNorm() {}

  /** y[m x d] from x[m x d]; mean[m] and rstd[m] are written for the backward pass. */
  static void forward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd, int m, int d) {
    double[] c = new double[d];
    for (int r = 0; r < m; r++) {
      int base = r * d;
      for (int k = 0; k < d; k++) {
        c[k] = x[base + k];
      }
      double mu = sum(c, d) / d;
      for (int k = 0; k < d; k++) {
        double v = x[base + k] - mu;
        c[k] = v * v;
      }
      double sq = sum(c, d);
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
    float[] xhat = new float[d];
    double[] g = new double[d];
    double[] gx = new double[d];
    for (int r = 0; r < m; r++) {
      int base = r * d;
      float mf = mean[r];
      float rs = rstd[r];
      for (int k = 0; k < d; k++) {
        float xh = (x[base + k] - mf) * rs;
        float gk = dy[base + k] * gamma[k];
        xhat[k] = xh;
        g[k] = gk;
        gx[k] = (double) gk * xh;
        dGamma[k] += dy[base + k] * xh;
        dBeta[k] += dy[base + k];
      }
      float meanG = (float) (sum(g, d) / d);
      float meanGx = (float) (sum(gx, d) / d);
      for (int k = 0; k < d; k++) {
        dx[base + k] += rs * ((float) g[k] - meanG - xhat[k] * meanGx);
      }
    }
  }

  /** v[0 .. d) summed in the class's fixed order (floats are widened into a double array first: exact). */
  private static double sum(double[] v, int d) {
    double s0 = 0.0;
    double s1 = 0.0;
    double s2 = 0.0;
    double s3 = 0.0;
    int k = 0;
    for (; k + 3 < d; k += 4) {
      s0 += v[k];
      s1 += v[k + 1];
      s2 += v[k + 2];
      s3 += v[k + 3];
    }
    double s = (s0 + s1) + (s2 + s3);
    for (; k < d; k++) {
      s += v[k];
    }
    return s;
  }
}
