package dev.logq.common.model;

import dev.logq.common.loss.Candidates;
import dev.logq.common.loss.ForwardingLoss;
import dev.logq.common.loss.Logits;
import dev.logq.common.loss.Loss;

/**
 * Test-only losses so the model's tests do not depend on the production loss classes: a plain in-batch
 * softmax cross-entropy (SHARED layout, accidental hits masked) and a per-row binary cross-entropy
 * (PER_ROW layout). Both compute in double and return the mean over rows. A {@link Capturing} wrapper
 * records the logits the model built.
 */
final class TestLosses {

  /** The name for which {@link #softmax} scores the full catalog (as the production full softmax does). */
  static final String FULL = "full";

  private TestLosses() {}

  /**
   * l_b = -s_pb + log sum_{j not masked} e^{s_j}, a negative column counted {@code count(j)} times; its name
   * decides the model's column choice.
   */
  static Loss softmax(String name) {
    return new Loss() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Logits.Layout layout() {
        return Logits.Layout.SHARED;
      }

      @Override
      public Candidates candidates(int uniformNegatives) {
        return FULL.equals(name) ? Candidates.fullCatalog() : Loss.super.candidates(uniformNegatives);
      }

      @Override
      public double lossAndGradient(Logits logits, float[] grad) {
        int n = logits.rows;
        int cols = logits.cols;
        double total = 0.0;
        double[] p = new double[cols];
        for (int b = 0; b < n; b++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < cols; j++) {
            if (!logits.isAccidentalHit(b, j)) {
              max = Math.max(max, logits.scores[b * cols + j]);
            }
          }
          double sum = 0.0;
          int pos = logits.positiveColumn[b];
          for (int j = 0; j < cols; j++) {
            // A negative column stands for count(j) in-batch draws (Logits "Column counts"); the positive once.
            double copies = j == pos ? 1.0 : logits.count(j);
            p[j] = logits.isAccidentalHit(b, j) ? 0.0 : copies * Math.exp(logits.scores[b * cols + j] - max);
            sum += p[j];
          }
          total += -(logits.scores[b * cols + pos] - max) + Math.log(sum);
          for (int j = 0; j < cols; j++) {
            grad[b * cols + j] = (float) ((p[j] / sum - (j == pos ? 1.0 : 0.0)) / n);
          }
        }
        return total / n;
      }
    };
  }

  /** l_b = -log sigma(s_b0) - sum_{k >= 1, not masked} log(1 - sigma(s_bk)). */
  static Loss bce() {
    return new Loss() {
      @Override
      public String name() {
        return "test-bce";
      }

      @Override
      public Logits.Layout layout() {
        return Logits.Layout.PER_ROW;
      }

      @Override
      public double lossAndGradient(Logits logits, float[] grad) {
        int n = logits.rows;
        int cols = logits.cols;
        double total = 0.0;
        for (int b = 0; b < n; b++) {
          for (int j = 0; j < cols; j++) {
            double s = logits.scores[b * cols + j];
            if (j == 0) {
              total += softplus(-s);
              grad[b * cols] = (float) ((sigmoid(s) - 1.0) / n);
            } else if (logits.isAccidentalHit(b, j)) {
              grad[b * cols + j] = 0f;
            } else {
              total += softplus(s);
              grad[b * cols + j] = (float) (sigmoid(s) / n);
            }
          }
        }
        return total / n;
      }
    };
  }

  static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }

  /** log(1 + e^x), stable. */
  static double softplus(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }

  /** Records a copy of the last logits a loss saw. */
  static final class Capturing extends ForwardingLoss {
    Logits.Layout layout;
    int rows;
    int cols;
    int[] columnItem;
    int[] positiveColumn;
    int inBatchColumns;
    int catalogSize;
    int[] columnCount;
    float[] scores;

    Capturing(Loss inner) {
      super(inner);
    }

    @Override
    public double lossAndGradient(Logits logits, float[] grad) {
      layout = logits.layout;
      rows = logits.rows;
      cols = logits.cols;
      columnItem = logits.columnItem.clone();
      positiveColumn = logits.positiveColumn.clone();
      inBatchColumns = logits.inBatchColumns;
      catalogSize = logits.catalogSize;
      columnCount = logits.columnCount == null ? null : logits.columnCount.clone();
      scores = logits.scores.clone();
      return inner.lossAndGradient(logits, grad);
    }

    int item(int b, int j) {
      return layout == Logits.Layout.SHARED ? columnItem[j] : columnItem[b * cols + j];
    }
  }
}
