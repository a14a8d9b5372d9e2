package dev.logq.common.model.sequence;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.SparseRows;
import java.util.SplittableRandom;

/** Central finite differences against float32 code: relative error of the gradient vector over the checked entries. */
final class Fd {

  interface Objective {
    double value();
  }

  static final float STEP = 1e-3f;
  static final double RTOL = 2e-2;

  private Fd() {}

  static double derivative(float[] x, int i, Objective f) {
    float old = x[i];
    float up = old + STEP;
    float down = old - STEP;
    x[i] = up;
    double fp = f.value();
    x[i] = down;
    double fm = f.value();
    x[i] = old;
    return (fp - fm) / ((double) up - (double) down);
  }

  /**
   * The finite difference to compare with {@code analytic}: the central one, unless x[i] sits within STEP of a
   * kink (a ReLU unit crossing zero), where the one-sided differences disagree by more than the curvature of a
   * smooth function allows over one STEP (about 0.2 % of the slope in these tests; a kink gives 3-6 %). There the
   * derivative is one-sided and the analytic gradient must match one side: the side nearer to it is used.
   */
  static double derivativeNear(float[] x, int i, double analytic, Objective f) {
    float old = x[i];
    double f0 = f.value();
    x[i] = old + STEP;
    double fp = f.value();
    double forward = (fp - f0) / ((double) x[i] - (double) old);
    x[i] = old - STEP;
    double fm = f.value();
    double backward = (f0 - fm) / ((double) old - (double) x[i]);
    double central = (fp - fm) / ((double) (old + STEP) - (double) x[i]);
    x[i] = old;
    if (Math.abs(forward - backward) <= KINK * Math.max(Math.abs(central), 1e-2)) {
      return central;
    }
    return Math.abs(forward - analytic) < Math.abs(backward - analytic) ? forward : backward;
  }

  /** One-sided differences further apart than this, relative to the slope, mark a kink. */
  static final double KINK = 1e-2;

  /** Checks analytic[i] against the central difference for every i (or a seeded sample of at most 48). */
  static void check(String what, float[] x, float[] analytic, Objective f) {
    int n = x.length;
    int[] idx;
    if (n <= 48) {
      idx = new int[n];
      for (int i = 0; i < n; i++) {
        idx[i] = i;
      }
    } else {
      SplittableRandom r = new SplittableRandom(what.hashCode());
      idx = new int[48];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = r.nextInt(n);
      }
    }
    double[] num = new double[idx.length];
    double[] ana = new double[idx.length];
    for (int i = 0; i < idx.length; i++) {
      ana[i] = analytic == null ? 0.0 : analytic[idx[i]];
      num[i] = derivativeNear(x, idx[i], ana[i], f);
    }
    compare(what, ana, num);
  }

  static void compare(String what, double[] ana, double[] num) {
    double err = 0.0;
    double norm = 0.0;
    for (int i = 0; i < num.length; i++) {
      assertTrue(Double.isFinite(ana[i]), what + ": analytic gradient not finite");
      err += (ana[i] - num[i]) * (ana[i] - num[i]);
      norm += num[i] * num[i];
    }
    err = Math.sqrt(err);
    norm = Math.sqrt(norm);
    assertTrue(norm > 1e-4, what + ": numeric gradient is ~0 (" + norm + "), the check would be vacuous");
    assertTrue(err <= RTOL * norm, what + ": |analytic - numeric| = " + err + " vs |numeric| = " + norm
        + " (relative " + err / norm + ")");
  }

  /** Checks every entry of the given table rows against the sparse gradient (absent rows count as zero). */
  static void checkTable(String what, EmbeddingTable table, int[] rows, SparseRows grad, Objective f) {
    int d = table.dim();
    double[] num = new double[rows.length * d];
    double[] ana = new double[rows.length * d];
    float[] row = new float[d];
    for (int i = 0; i < rows.length; i++) {
      int g = grad.indexOf(rows[i]);
      for (int k = 0; k < d; k++) {
        table.readRow(rows[i], row, 0);
        float old = row[k];
        float up = old + STEP;
        float down = old - STEP;
        row[k] = up;
        table.writeRow(rows[i], row, 0);
        double fp = f.value();
        row[k] = down;
        table.writeRow(rows[i], row, 0);
        double fm = f.value();
        row[k] = old;
        table.writeRow(rows[i], row, 0);
        num[i * d + k] = (fp - fm) / ((double) up - (double) down);
        ana[i * d + k] = g < 0 ? 0.0 : grad.get(g, k);
      }
    }
    compare(what, ana, num);
  }

  static float[] gaussian(SplittableRandom r, int n, double std) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      // Box-Muller is not needed for a test fixture: a sum of uniforms is close enough and deterministic.
      x[i] = (float) ((r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5) * 2.0 * std);
    }
    return x;
  }

  static double dot(float[] w, float[] y) {
    double s = 0.0;
    for (int i = 0; i < w.length; i++) {
      s += (double) w[i] * y[i];
    }
    return s;
  }
}
