package dev.logq.common.loss;

/**
 * The word2vec-style baseline (LOSSES.md "uniform-bce"): each positive gets K negatives drawn uniformly from
 * the catalog, and every candidate is an independent binary decision on sigmoid(s),
 * <pre>
 *   l_b = -log sigma(s_pb) - sum_{k=1..K} log(1 - sigma(s_{n_k}))
 * </pre>
 * PER_ROW layout: column 0 of row b is its positive, columns 1..K its negatives. A negative that draws the
 * positive's item is an accidental hit and is dropped (no term, zero gradient). Q is not used. Both terms are
 * computed as softplus, -log sigma(x) = softplus(-x) and -log(1 - sigma(x)) = softplus(x), so large |s| neither
 * overflows nor loses the loss to rounding.
 */
public final class UniformBce implements Loss {

  public static final String NAME = "uniform-bce";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Logits.Layout layout() {
    return Logits.Layout.PER_ROW;
  }

  @Override
  public double lossAndGradient(Logits logits, float[] gradScores) {
    LossSupport.requireLayout(this, logits, gradScores);
    final int rows = logits.rows;
    final int cols = logits.cols;
    final float[] s = logits.scores;
    final int[] items = logits.columnItem;
    final double invRows = 1.0 / rows;
    double total = 0.0;
    for (int b = 0; b < rows; b++) {
      if (logits.positiveColumn[b] != 0) {
        throw new IllegalArgumentException("loss 'uniform-bce': row " + b + " has its positive in column "
            + logits.positiveColumn[b] + "; the PER_ROW layout keeps it in column 0");
      }
      final int base = b * cols;
      final int positiveItem = items[base];
      final double sp = s[base];
      double rowLoss = softplus(-sp);
      // d softplus(-x)/dx = -sigma(-x)
      gradScores[base] = (float) (-sigmoid(-sp) * invRows);
      for (int j = 1; j < cols; j++) {
        if (items[base + j] == positiveItem) {
          gradScores[base + j] = 0f;
          continue;
        }
        double x = s[base + j];
        rowLoss += softplus(x);
        gradScores[base + j] = (float) (sigmoid(x) * invRows);
      }
      if (!Double.isFinite(rowLoss)) {
        throw LossSupport.nonFiniteScores(this, b);
      }
      total += rowLoss;
    }
    return total * invRows;
  }

  /** log(1 + e^x) without overflow. */
  static double softplus(double x) {
    return Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  /** 1 / (1 + e^{-x}) without overflow. */
  static double sigmoid(double x) {
    if (x >= 0) {
      return 1.0 / (1.0 + Math.exp(-x));
    }
    double ex = Math.exp(x);
    return ex / (1.0 + ex);
  }

  @Override
  public String toString() {
    return NAME;
  }
}
