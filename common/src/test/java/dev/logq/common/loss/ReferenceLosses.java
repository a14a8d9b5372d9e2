package dev.logq.common.loss;

import java.util.ArrayList;
import java.util.List;

/**
 * LOSSES.md written out literally in double precision, independently of the production code: explicit lists
 * of negatives, no max subtraction, Q taken as a probability (not its log), Q' and the mixture densities
 * computed from their definitions. Only for small, well-scaled test inputs.
 */
final class ReferenceLosses {

  /** Per-row losses l_b and per-row gradients dl_b/ds_j (without the 1/B of the batch mean). */
  static final class Result {
    final double[] rowLoss;
    final double[][] rowGrad;
    /** refined only: w_b = 1 - P^_b, and pi_j = softmax_j(z_j) over the row's negatives (0 elsewhere). */
    final double[] weight;
    final double[] estimatedP;
    final double[][] pi;

    Result(int rows, int cols) {
      rowLoss = new double[rows];
      rowGrad = new double[rows][cols];
      weight = new double[rows];
      estimatedP = new double[rows];
      pi = new double[rows][cols];
    }

    double meanLoss() {
      double sum = 0;
      for (double l : rowLoss) {
        sum += l;
      }
      return sum / rowLoss.length;
    }
  }

  /** A SHARED batch in plain arrays. q[item] is Q(item) (0 or missing = absent from the table). */
  static final class Batch {
    final double[][] s;
    final int[] columnItem;
    final int[] positiveColumn;
    final int inBatchColumns;
    final double[] q;
    final int catalogSize;

    Batch(double[][] s, int[] columnItem, int[] positiveColumn, int inBatchColumns, double[] q, int catalogSize) {
      this.s = s;
      this.columnItem = columnItem;
      this.positiveColumn = positiveColumn;
      this.inBatchColumns = inBatchColumns;
      this.q = q;
      this.catalogSize = catalogSize;
    }

    int rows() {
      return s.length;
    }

    int cols() {
      return columnItem.length;
    }

    int positiveItem(int b) {
      return columnItem[positiveColumn[b]];
    }

    /** N_b: every column except the positive's and those naming the positive's item. */
    List<Integer> negatives(int b) {
      List<Integer> out = new ArrayList<>();
      for (int j = 0; j < cols(); j++) {
        if (j != positiveColumn[b] && columnItem[j] != positiveItem(b)) {
          out.add(j);
        }
      }
      return out;
    }

    /** Q of an item, 1e-10 where the table lacks it (only used for uniform columns). */
    double probability(int item) {
      return item < q.length && q[item] > 0 ? q[item] : 1e-10;
    }
  }

  private ReferenceLosses() {}

  static Result none(Batch x) {
    double[] zero = new double[x.cols()];
    return softmaxWithCorrection(x, zero, false);
  }

  /** Standard logQ: s^c_j = s_j - log q(j), q the pre-mask mixture (Q alone without uniform columns). */
  static Result standard(Batch x, boolean correctPositive) {
    int nIn = x.inBatchColumns - 1;
    int nU = x.cols() - x.inBatchColumns;
    double[] logDensity = new double[x.cols()];
    for (int j = 0; j < x.cols(); j++) {
      double qj = x.probability(x.columnItem[j]);
      double density = nU == 0 ? qj : (nIn * qj + nU * (1.0 / x.catalogSize)) / (nIn + nU);
      logDensity[j] = Math.log(density);
    }
    return softmaxWithCorrection(x, logDensity, correctPositive);
  }

  private static Result softmaxWithCorrection(Batch x, double[] logDensity, boolean correctPositive) {
    Result r = new Result(x.rows(), x.cols());
    for (int b = 0; b < x.rows(); b++) {
      int pc = x.positiveColumn[b];
      double zp = x.s[b][pc] - (correctPositive ? logDensity[pc] : 0.0);
      double denominator = Math.exp(zp);
      for (int j : x.negatives(b)) {
        denominator += Math.exp(x.s[b][j] - logDensity[j]);
      }
      r.rowLoss[b] = -zp + Math.log(denominator);
      r.rowGrad[b][pc] = Math.exp(zp) / denominator - 1.0;
      for (int j : x.negatives(b)) {
        r.rowGrad[b][j] = Math.exp(x.s[b][j] - logDensity[j]) / denominator;
      }
    }
    return r;
  }

  /** Refined logQ with the post-mask Q'_b / uniform mixture; w_b held constant in the gradient. */
  static Result refined(Batch x) {
    Result r = new Result(x.rows(), x.cols());
    for (int b = 0; b < x.rows(); b++) {
      int pc = x.positiveColumn[b];
      int p = x.positiveItem(b);
      List<Integer> negatives = x.negatives(b);
      int k = negatives.size();
      if (k == 0) {
        continue;
      }
      int kIn = 0;
      for (int j : negatives) {
        if (j < x.inBatchColumns) {
          kIn++;
        }
      }
      int kU = k - kIn;
      double sumExpZ = 0.0;
      double[] expZ = new double[x.cols()];
      for (int j : negatives) {
        double qPrime = x.probability(x.columnItem[j]) / (1.0 - x.q[p]);
        double uPrime = 1.0 / (x.catalogSize - 1);
        double density = (kIn * qPrime + kU * uPrime) / k;
        double z = x.s[b][j] - Math.log(density);
        expZ[j] = Math.exp(z);
        sumExpZ += expZ[j];
      }
      double sp = x.s[b][pc];
      double estimatedP = Math.exp(sp) / (Math.exp(sp) + sumExpZ / k);
      double w = 1.0 - estimatedP;
      r.estimatedP[b] = estimatedP;
      r.weight[b] = w;
      r.rowLoss[b] = w * (-sp + Math.log(sumExpZ));
      r.rowGrad[b][pc] = -w;
      for (int j : negatives) {
        r.pi[b][j] = expZ[j] / sumExpZ;
        r.rowGrad[b][j] = w * r.pi[b][j];
      }
    }
    return r;
  }

  /** Full softmax: the columns are the catalog. */
  static Result full(Batch x) {
    return none(x);
  }

  /** Uniform BCE over PER_ROW candidates: s[b][0] positive, s[b][1..] negatives; items[b][j]. */
  static Result uniformBce(double[][] s, int[][] items) {
    Result r = new Result(s.length, s[0].length);
    for (int b = 0; b < s.length; b++) {
      double sigmaP = 1.0 / (1.0 + Math.exp(-s[b][0]));
      r.rowLoss[b] = -Math.log(sigmaP);
      r.rowGrad[b][0] = sigmaP - 1.0;
      for (int j = 1; j < s[b].length; j++) {
        if (items[b][j] == items[b][0]) {
          continue;
        }
        double sigma = 1.0 / (1.0 + Math.exp(-s[b][j]));
        r.rowLoss[b] -= Math.log(1.0 - sigma);
        r.rowGrad[b][j] = sigma;
      }
    }
    return r;
  }
}
