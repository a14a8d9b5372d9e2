package dev.logq.common.loss;

import dev.logq.common.linalg.Matrices;
import java.util.Arrays;

/**
 * One in-batch step with the hand-derived gradients: scores = U V^T / tau (Matrices), the loss's
 * dLoss/dScores, then dU = G V / tau and dV = G^T U / tau (Matrices). Row b's positive is column b.
 * Scratch arrays are kept between calls, as a worker's step loop would.
 */
final class HandInBatchStep {

  final int rows;
  final int d;
  final float[] scores;
  final float[] gradScores;
  final float[] scaledU;
  final float[] du;
  final float[] dv;
  private final int[] positiveColumn;
  double lastLoss;

  HandInBatchStep(int rows, int d) {
    this.rows = rows;
    this.d = d;
    scores = new float[rows * rows];
    gradScores = new float[rows * rows];
    scaledU = new float[rows * d];
    du = new float[rows * d];
    dv = new float[rows * d];
    positiveColumn = new int[rows];
    for (int b = 0; b < rows; b++) {
      positiveColumn[b] = b;
    }
  }

  void run(Loss loss, float[] u, float[] v, int[] columnItem, double[] itemLogQ, int catalogSize,
           float invTemperature) {
    for (int i = 0; i < u.length; i++) {
      scaledU[i] = u[i] * invTemperature;
    }
    Matrices.multiplyTransposed(scaledU, v, scores, rows, rows, d);
    Logits logits = new Logits(Logits.Layout.SHARED, rows, rows, scores, positiveColumn, columnItem, rows,
        itemLogQ, catalogSize);
    lastLoss = loss.lossAndGradient(logits, gradScores);
    Arrays.fill(du, 0f);
    Arrays.fill(dv, 0f);
    Matrices.multiplyAdd(gradScores, v, du, rows, d, rows);
    Matrices.transposeMultiplyAdd(gradScores, u, dv, rows, d, rows);
    for (int i = 0; i < du.length; i++) {
      du[i] *= invTemperature;
      dv[i] *= invTemperature;
    }
  }
}
