package dev.logq.common.loss;

import dev.logq.common.linalg.Exp;

/**
 * Input checks, the per-column log Q lookup and the softmax cross-entropy kernel that the losses share.
 */
final class LossSupport {

  /**
   * log Q used for uniform extra negatives whose item the frequency table lacks (LOSSES.md, "Numerics"). Only
   * uniform draws may be absent: an in-batch column is some row's positive, so it was counted.
   */
  static final double ABSENT_ITEM_LOG_Q = Math.log(1e-10);

  /** Smallest log Q accepted. Counts in a long give log Q >= -44; anything far below is a corrupt table. */
  static final double MIN_LOG_Q = -700.0;

  /** log Q up to this much above 0 is rounding (c_i == C computed as log c_i - log C) and read as 0. */
  private static final double LOG_Q_ROUNDING = 1e-9;

  private LossSupport() {}

  static void requireLayout(Loss loss, Logits logits, float[] gradScores) {
    if (logits.layout != loss.layout()) {
      throw new IllegalArgumentException("loss '" + loss.name() + "' needs the " + loss.layout()
          + " score layout, got " + logits.layout);
    }
    if (logits.rows < 1 || logits.cols < 1) {
      throw new IllegalArgumentException("loss '" + loss.name() + "' got an empty batch: " + logits.rows
          + " rows x " + logits.cols + " columns");
    }
    long cells = (long) logits.rows * logits.cols;
    if (gradScores.length < cells) {
      throw new IllegalArgumentException("gradScores has " + gradScores.length + " entries, need " + cells);
    }
  }

  /** Every row's positive must be one of the in-batch columns (the in-batch losses' proposal is about them). */
  static void requireInBatchPositives(Loss loss, Logits logits) {
    for (int b = 0; b < logits.rows; b++) {
      int pc = logits.positiveColumn[b];
      if (pc < 0 || pc >= logits.inBatchColumns) {
        throw new IllegalArgumentException("loss '" + loss.name() + "': row " + b + " has its positive in column "
            + pc + ", outside the in-batch columns [0, " + logits.inBatchColumns + ")");
      }
    }
  }

  static void requirePositivesInRange(Loss loss, Logits logits) {
    for (int b = 0; b < logits.rows; b++) {
      int pc = logits.positiveColumn[b];
      if (pc < 0 || pc >= logits.cols) {
        throw new IllegalArgumentException("loss '" + loss.name() + "': row " + b + " has its positive in column "
            + pc + ", outside [0, " + logits.cols + ")");
      }
    }
  }

  static void requireCatalogForUniform(Loss loss, Logits logits, int minItems) {
    if (logits.cols > logits.inBatchColumns && logits.catalogSize < minItems) {
      throw new IllegalArgumentException("loss '" + loss.name() + "': " + (logits.cols - logits.inBatchColumns)
          + " uniform extra negatives need a catalog of at least " + minItems + " items, catalogSize is "
          + logits.catalogSize);
    }
  }

  /**
   * log Q of each SHARED column's item. In-batch columns must have a proper entry (the item was counted);
   * uniform extra columns fall back to {@link #ABSENT_ITEM_LOG_Q} when the table lacks the item.
   *
   * @throws IllegalArgumentException naming the item when its log Q is missing, NaN, -inf, or not a log-probability
   */
  static double[] columnLogQ(Loss loss, Logits logits) {
    double[] table = logits.itemLogQ;
    if (table == null) {
      throw new IllegalArgumentException("loss '" + loss.name() + "' needs the log Q table, Logits.itemLogQ is null");
    }
    int[] items = logits.columnItem;
    double[] logQ = new double[logits.cols];
    for (int j = 0; j < logits.cols; j++) {
      int item = items[j];
      boolean inBatch = j < logits.inBatchColumns;
      double v = item >= 0 && item < table.length ? table[item] : Double.NEGATIVE_INFINITY;
      if (v == Double.NEGATIVE_INFINITY && !inBatch) {
        v = ABSENT_ITEM_LOG_Q;
      } else if (Double.isNaN(v) || v < MIN_LOG_Q || v > LOG_Q_ROUNDING) {
        String why = v == Double.NEGATIVE_INFINITY
            ? "is missing from the frequency table (Q = 0 or index beyond its " + table.length + " entries)"
            : "has log Q = " + v + ", not a log-probability in [" + MIN_LOG_Q + ", 0]";
        throw new IllegalArgumentException("loss '" + loss.name() + "': item " + item + " (column " + j
            + (inBatch ? ", an in-batch positive" : "") + ") " + why
            + "; every training item must be counted in the frequency table");
      }
      logQ[j] = Math.min(v, 0.0);
    }
    return logQ;
  }

  /** Each column's count (Logits.columnCount) as a double multiplier: 1 everywhere without counts. */
  static double[] columnCounts(Logits logits) {
    double[] count = new double[logits.cols];
    for (int j = 0; j < logits.cols; j++) {
      count[j] = logits.count(j);
    }
    return count;
  }

  static IllegalArgumentException nonFiniteScores(Loss loss, int row) {
    return new IllegalArgumentException("loss '" + loss.name() + "': row " + row
        + " has a NaN or infinite score (training diverged? lower the learning rate or raise the temperature)");
  }

  /**
   * Softmax cross-entropy over the positive and the unmasked columns of each SHARED row, with an additive
   * per-column correction: logit_j = s_j - offset[j] (the positive's own column only when
   * {@code offsetPositive}). Accidental hits (columns naming the positive's item) are dropped; a negative
   * column's term counts {@code Logits.count(j)} times (column counts). Writes
   * d(mean_b l_b)/d s into {@code grad} and returns mean_b l_b.
   */
  static double softmaxCrossEntropy(Loss loss, Logits logits, double[] offset, boolean offsetPositive,
                                    float[] grad) {
    final int rows = logits.rows;
    final int cols = logits.cols;
    final float[] s = logits.scores;
    final int[] items = logits.columnItem;
    final double[] count = columnCounts(logits);
    final double invRows = 1.0 / rows;
    final double[] e = new double[cols];
    double total = 0.0;
    for (int b = 0; b < rows; b++) {
      final int base = b * cols;
      final int pc = logits.positiveColumn[b];
      final int positiveItem = items[pc];
      final double zp = s[base + pc] - (offsetPositive ? offset[pc] : 0.0);

      double max = zp;
      for (int j = 0; j < cols; j++) {
        if (items[j] != positiveItem) {
          double z = s[base + j] - offset[j];
          if (z > max) {
            max = z;
          }
        }
      }
      for (int j = 0; j < cols; j++) {
        e[j] = s[base + j] - offset[j] - max;
      }
      Exp.exp(e, e, cols);
      double sumNegatives = 0.0;
      for (int j = 0; j < cols; j++) {
        double v = items[j] != positiveItem ? count[j] * e[j] : 0.0;
        e[j] = v;
        sumNegatives += v;
      }
      if (!Double.isFinite(max) || !Double.isFinite(zp) || Double.isNaN(sumNegatives)) {
        throw nonFiniteScores(loss, b);
      }
      final double ep = Math.exp(zp - max);
      final double sum = ep + sumNegatives;
      // l_b = log(1 + sum_neg / e_p): exact for tiny losses; the plain form where e_p underflows.
      total += ep > 1e-200 ? Math.log1p(sumNegatives / ep) : (max - zp) + Math.log(sum);

      final double scale = invRows / sum;
      for (int j = 0; j < cols; j++) {
        grad[base + j] = (float) (e[j] * scale);
      }
      // d l_b / d s_p = pi_p - 1 = -(sum of the negatives' shares), without the cancellation.
      grad[base + pc] = (float) (-sumNegatives * scale);
    }
    return total * invRows;
  }
}
