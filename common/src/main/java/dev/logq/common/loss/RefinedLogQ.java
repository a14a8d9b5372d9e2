package dev.logq.common.loss;

import dev.logq.common.linalg.Exp;

/**
 * The refined logQ correction of Khrylchenko et al. (RecSys 2025, arXiv 2507.09331), LOSSES.md "refined".
 *
 * <p>The positive is always in the softmax denominator with probability 1, so only the negatives are
 * Monte-Carlo samples, and they come from the proposal with the positive removed,
 * Q'_b(j) = Q(j) / (1 - Q(p_b)). With N_b the row's unmasked negatives and k_b = |N_b|:
 * <pre>
 *   z_j  = s_j - log q_b(j)                                         j in N_b
 *   P^_b = e^{s_pb} / ( e^{s_pb} + (1/k_b) sum_{j in N_b} e^{z_j} )  estimated P(p_b | u_b)
 *   w_b  = stopgrad(1 - P^_b)
 *   l_b  = w_b * ( -s_pb + log sum_{j in N_b} e^{z_j} )              (the positive is not in this sum)
 *   grad l_b = w_b * ( -grad s_pb + sum_j pi_j grad s_j ),  pi = softmax(z)
 * </pre>
 * the self-normalised importance-sampling estimate of the full-softmax gradient. The loss value can be
 * negative. A row whose negatives are all accidental hits (k_b = 0) contributes 0. The batch loss is the
 * mean of l_b over all rows (weights are not renormalised).
 *
 * <p><b>Proposal density q_b.</b> Masking the positive's item from draws of Q leaves draws of Q'_b, so the
 * counts below are taken after masking. Without uniform extra negatives q_b = Q'_b, exactly LOSSES.md. With
 * them the row's negatives are k_in draws from Q'_b (in-batch columns) and k_u draws from U'_b, the uniform
 * distribution over the N - 1 catalog items other than p_b (uniform columns), k_b = k_in + k_u, and every
 * negative, whichever component drew it, is weighted by the mixture density
 * <pre>
 *   q_b(j) = ( k_in * Q'_b(j) + k_u * U'_b(j) ) / k_b,    U'_b(j) = 1 / (N - 1)
 * </pre>
 * which keeps (1/k_b) sum_j e^{s_j} / q_b(j) an unbiased estimate of sum_{i != p_b} e^{s_i} (the
 * deterministic-mixture or balance-heuristic estimator). With k_u = 0 it is Q'_b.
 *
 * <p><b>Numerics.</b> Without uniform negatives everything is in the log domain: z_j = s_j - log Q(j) +
 * log(1 - Q(p_b)), log(1 - Q(p_b)) from expm1 so Q(p_b) near 1 keeps its digits, and the log-sum-exp subtracts
 * the largest z. With uniform negatives the sum is e^{s_j - m} / q_b(j) with m the largest negative score:
 * q_b(j) lies in [k_u / (k_b (N - 1)), 1] there, so no term overflows and the largest is at least 1.
 * w_b = 1 / (1 + e^t) with t = s_pb - log((1/k_b) sum e^{z_j}), which stays exact when P^_b is near 1. If
 * Q(p_b) rounds to 1 while a negative has Q > 0 (an inconsistent table at double precision), 1 - Q(p_b) is
 * taken as the largest Q among the row's in-batch negatives, its smallest consistent value. Q(p_b) == 1 with
 * every in-batch negative an accidental hit needs no Q' at all.
 */
public final class RefinedLogQ implements Loss {

  public static final String NAME = "refined";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Logits.Layout layout() {
    return Logits.Layout.SHARED;
  }

  @Override
  public double lossAndGradient(Logits logits, float[] gradScores) {
    return lossAndGradient(logits, gradScores, null, null);
  }

  /**
   * As {@link #lossAndGradient(Logits, float[])}, also writing each row's l_b and w_b (0 for rows that
   * contribute nothing) when the arrays are not null; tests use them to check w_b and the stop-gradient.
   */
  double lossAndGradient(Logits logits, float[] gradScores, double[] rowLoss, double[] rowWeight) {
    LossSupport.requireLayout(this, logits, gradScores);
    LossSupport.requireInBatchPositives(this, logits);
    LossSupport.requireCatalogForUniform(this, logits, 2);
    final int rows = logits.rows;
    final int cols = logits.cols;
    final int inBatch = logits.inBatchColumns;
    final boolean mixed = cols > inBatch;
    final float[] s = logits.scores;
    final int[] items = logits.columnItem;
    final double[] logQ = LossSupport.columnLogQ(this, logits);
    final double[] count = LossSupport.columnCounts(logits);
    final double[] q = mixed ? exp(logQ) : null;
    final double uniformDensity = mixed ? 1.0 / (logits.catalogSize - 1.0) : 0.0;
    final double invRows = 1.0 / rows;
    final double[] e = new double[cols];

    double total = 0.0;
    for (int b = 0; b < rows; b++) {
      final int base = b * cols;
      final int pc = logits.positiveColumn[b];
      final int positiveItem = items[pc];
      final double sp = s[base + pc];

      // Pass 1: the largest z (log-domain path) or score (mixed path) over the unmasked negatives, and how
      // many negatives of each kind survive the mask (column counts included). The positive's own column is
      // masked here like its accidental hits.
      double max = Double.NEGATIVE_INFINITY;
      int kIn = 0;
      for (int j = 0; j < inBatch; j++) {
        if (items[j] != positiveItem) {
          kIn += logits.count(j);
          double z = mixed ? s[base + j] : s[base + j] - logQ[j];
          if (z > max) {
            max = z;
          }
        }
      }
      int hitsUniform = 0;
      for (int j = inBatch; j < cols; j++) {
        if (items[j] == positiveItem) {
          hitsUniform++;
        } else if (s[base + j] > max) {
          max = s[base + j];
        }
      }
      final int kUniform = cols - inBatch - hitsUniform;
      final int k = kIn + kUniform;
      if (k == 0) {
        if (!Double.isFinite(sp)) {
          throw LossSupport.nonFiniteScores(this, b);
        }
        clearRow(gradScores, base, cols);
        record(rowLoss, rowWeight, b, 0.0, 0.0);
        continue;
      }
      final double logOneMinusQp = kIn > 0 ? logOneMinusQ(logQ, items, inBatch, pc, positiveItem) : 0.0;

      // Pass 2: the terms e^{z_j - max'} of the negatives' log-sum-exp (times the column's count), kept for
      // the gradient.
      double sum = 0.0;
      double logSumExpZ;
      if (!mixed) {
        for (int j = 0; j < cols; j++) {
          e[j] = s[base + j] - logQ[j] - max;
        }
        Exp.exp(e, e, cols);
        for (int j = 0; j < cols; j++) {
          double v = items[j] != positiveItem ? count[j] * e[j] : 0.0;
          e[j] = v;
          sum += v;
        }
        logSumExpZ = max + logOneMinusQp + Math.log(sum);
      } else {
        final double weightQ = kIn > 0 ? (double) kIn / k * Math.exp(-logOneMinusQp) : 0.0;
        final double weightUniform = (double) kUniform / k * uniformDensity;
        for (int j = 0; j < cols; j++) {
          e[j] = s[base + j] - max;
        }
        Exp.exp(e, e, cols);
        for (int j = 0; j < cols; j++) {
          double v = items[j] != positiveItem ? count[j] * e[j] / (weightQ * q[j] + weightUniform) : 0.0;
          e[j] = v;
          sum += v;
        }
        logSumExpZ = max + Math.log(sum);
      }
      if (!Double.isFinite(sp) || !Double.isFinite(max) || Double.isNaN(sum)) {
        throw LossSupport.nonFiniteScores(this, b);
      }

      // t = log(e^{s_p} / ((1/k) sum e^{z})); P^ = sigmoid(t), w = 1 - P^ = sigmoid(-t) without cancellation.
      final double t = sp - logSumExpZ + Math.log(k);
      final double w = 1.0 / (1.0 + Math.exp(t));
      if (!(w > 0.0)) {
        // P^ == 1 to double precision: the row is classified with certainty and contributes nothing.
        clearRow(gradScores, base, cols);
        record(rowLoss, rowWeight, b, 0.0, 0.0);
        continue;
      }
      final double loss = w * (logSumExpZ - sp);
      record(rowLoss, rowWeight, b, loss, w);
      total += loss;
      final double scale = w * invRows / sum;
      for (int j = 0; j < cols; j++) {
        gradScores[base + j] = (float) (e[j] * scale);
      }
      gradScores[base + pc] = (float) (-w * invRows);
    }
    return total * invRows;
  }

  /**
   * log(1 - Q(p_b)) = log sum_{j != p_b} Q(j). When Q(p_b) rounds to 1 although the row has in-batch negatives
   * (so some other item has Q > 0), the largest of their Q is the tightest value consistent with the table.
   */
  private static double logOneMinusQ(double[] logQ, int[] items, int inBatch, int pc, int positiveItem) {
    double oneMinusQp = -Math.expm1(logQ[pc]);
    if (oneMinusQp > 0.0) {
      return Math.log(oneMinusQp);
    }
    double largest = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < inBatch; j++) {
      if (items[j] != positiveItem && logQ[j] > largest) {
        largest = logQ[j];
      }
    }
    return largest;
  }

  private static double[] exp(double[] logs) {
    double[] out = new double[logs.length];
    for (int j = 0; j < logs.length; j++) {
      out[j] = Math.exp(logs[j]);
    }
    return out;
  }

  private static void record(double[] rowLoss, double[] rowWeight, int b, double loss, double w) {
    if (rowLoss != null) {
      rowLoss[b] = loss;
    }
    if (rowWeight != null) {
      rowWeight[b] = w;
    }
  }

  private static void clearRow(float[] grad, int base, int cols) {
    java.util.Arrays.fill(grad, base, base + cols, 0f);
  }

  @Override
  public String toString() {
    return NAME;
  }
}
