package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

/** Builders and checks shared by the loss tests. */
final class LossFixtures {

  /** Finite-difference step: scores are multiples of 2^-8 in (-8, 8), so s +- 2^-12 is exact in float. */
  static final double FD_STEP = 1.0 / 4096;

  private LossFixtures() {}

  /**
   * The worked example of the loss tests: catalog {0, 1, 2, 3} with Q = (0.4, 0.3, 0.2, 0.1); three rows whose
   * positives are items 0, 1, 0 in columns 0, 1, 2. Column 2 repeats item 0, so it is an accidental hit for
   * rows 0 and 2 (and row 2's positive column 0 is one for row 2); row 1 sees both item-0 columns as negatives.
   */
  static ReferenceLosses.Batch handBatch() {
    double[][] s = {
        {2.0, 1.0, 0.5},
        {0.5, 1.5, -1.0},
        {1.0, 0.0, 3.0},
    };
    return new ReferenceLosses.Batch(s, new int[] {0, 1, 0}, new int[] {0, 1, 2}, 3,
        new double[] {0.4, 0.3, 0.2, 0.1}, 4);
  }

  static Logits shared(ReferenceLosses.Batch x) {
    int rows = x.rows();
    int cols = x.cols();
    float[] scores = new float[rows * cols];
    for (int b = 0; b < rows; b++) {
      for (int j = 0; j < cols; j++) {
        scores[b * cols + j] = (float) x.s[b][j];
      }
    }
    double[] logQ = new double[x.q.length];
    for (int i = 0; i < logQ.length; i++) {
      logQ[i] = Math.log(x.q[i]);
    }
    return new Logits(Logits.Layout.SHARED, rows, cols, scores, x.positiveColumn.clone(), x.columnItem.clone(),
        x.inBatchColumns, logQ, x.catalogSize);
  }

  static Logits perRow(double[][] s, int[][] items) {
    int rows = s.length;
    int cols = s[0].length;
    float[] scores = new float[rows * cols];
    int[] columnItem = new int[rows * cols];
    for (int b = 0; b < rows; b++) {
      for (int j = 0; j < cols; j++) {
        scores[b * cols + j] = (float) s[b][j];
        columnItem[b * cols + j] = items[b][j];
      }
    }
    return new Logits(Logits.Layout.PER_ROW, rows, cols, scores, new int[rows], columnItem, cols, null, 0);
  }

  /** Normalised Zipf-like probabilities (i + 1)^-exponent over n items. */
  static double[] zipf(int n, double exponent) {
    double[] q = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      q[i] = Math.pow(i + 1, -exponent);
      sum += q[i];
    }
    for (int i = 0; i < n; i++) {
      q[i] /= sum;
    }
    return q;
  }

  /** A score exactly representable in float with room for +-FD_STEP: a multiple of 2^-8 in [-range, range]. */
  static double exactScore(Random random, double range) {
    return Math.round(random.nextDouble() * 2 * range * 256 - range * 256) / 256.0;
  }

  /**
   * A random SHARED batch: rows in-batch columns whose items are drawn from {@code q} (so duplicates and
   * accidental hits happen), then {@code uniform} columns drawn uniformly from the catalog, which may be
   * larger than q (items beyond q.length are absent from the table).
   */
  static ReferenceLosses.Batch randomBatch(Random random, int rows, int uniform, double[] q, int catalogSize) {
    int cols = rows + uniform;
    int[] items = new int[cols];
    for (int j = 0; j < rows; j++) {
      items[j] = sample(random, q);
    }
    for (int j = rows; j < cols; j++) {
      items[j] = random.nextInt(catalogSize);
    }
    int[] positiveColumn = new int[rows];
    double[][] s = new double[rows][cols];
    for (int b = 0; b < rows; b++) {
      positiveColumn[b] = b;
      for (int j = 0; j < cols; j++) {
        s[b][j] = exactScore(random, 3.0);
      }
    }
    return new ReferenceLosses.Batch(s, items, positiveColumn, rows, q, catalogSize);
  }

  static int sample(Random random, double[] q) {
    double u = random.nextDouble();
    double acc = 0;
    for (int i = 0; i < q.length; i++) {
      acc += q[i];
      if (u < acc) {
        return i;
      }
    }
    return q.length - 1;
  }

  /** Production mean loss and gradient against the reference (gradient scaled by 1/B). */
  static float[] assertMatchesReference(Loss loss, Logits logits, ReferenceLosses.Result expected, double tol) {
    float[] grad = new float[logits.rows * logits.cols];
    java.util.Arrays.fill(grad, Float.NaN); // the loss must write every entry
    double value = loss.lossAndGradient(logits, grad);
    assertEquals(expected.meanLoss(), value, tol, loss + ": mean loss");
    for (int b = 0; b < logits.rows; b++) {
      for (int j = 0; j < logits.cols; j++) {
        double want = expected.rowGrad[b][j] / logits.rows;
        float got = grad[b * logits.cols + j];
        assertEquals(want, got, tol, loss + ": d loss / d s[" + b + "][" + j + "]");
      }
    }
    return grad;
  }

  /** Central finite differences of the production mean loss, each score perturbed exactly in float. */
  static double[] finiteDifferences(Loss loss, Logits logits) {
    float[] scores = logits.scores;
    float[] scratch = new float[scores.length];
    double[] fd = new double[scores.length];
    for (int i = 0; i < scores.length; i++) {
      float original = scores[i];
      scores[i] = (float) (original + FD_STEP);
      assertEquals(original + FD_STEP, scores[i], 0.0, "perturbation must be exact");
      double up = loss.lossAndGradient(logits, scratch);
      scores[i] = (float) (original - FD_STEP);
      double down = loss.lossAndGradient(logits, scratch);
      scores[i] = original;
      fd[i] = (up - down) / (2 * FD_STEP);
    }
    return fd;
  }

  static void assertGradientMatchesFiniteDifferences(Loss loss, Logits logits, double tol) {
    float[] grad = new float[logits.rows * logits.cols];
    loss.lossAndGradient(logits, grad);
    double[] fd = finiteDifferences(loss, logits);
    double largest = 0;
    for (int i = 0; i < fd.length; i++) {
      assertEquals(fd[i], grad[i], tol, loss + ": gradient vs finite difference at score " + i);
      largest = Math.max(largest, Math.abs(fd[i]));
    }
    assertTrue(largest > 1e-3, "the check must see a non-trivial gradient");
  }

  static void assertAllFinite(float[] values, String what) {
    for (int i = 0; i < values.length; i++) {
      assertTrue(Float.isFinite(values[i]), what + "[" + i + "] = " + values[i]);
    }
  }
}
