package dev.logq.common.loss;

import java.util.Collections;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The in-batch losses written as SameDiff graphs over the towers' outputs U and V (rows x d each), so that
 * autodiff computes dLoss/dU and dLoss/dV: the alternative to the hand-derived gradients, measured in
 * docs/decisions.md. Row b's positive is column b; accidental hits get a large negative constant added to
 * their logits. Test code only.
 *
 * <p>ND4J 1.0.0-M2 silently returns all-zero gradients when an intermediate variable on the gradient path
 * feeds more than one op (deeplearning4j issue #9655). The graphs as one would naturally write them (the
 * score matrix feeding both the positive's logit and the log-sum-exp) hit it; the working graphs are trees on
 * the gradient path: the positive's logit is sum(U * V, 1) instead of the score matrix's diagonal, the per-row
 * shift of the log-sum-exp and the refined weight w_b come from a second matmul inside a StopGradient branch.
 */
final class SameDiffInBatch {

  /** Added to masked logits: exp of it is 0 in float and double, and it stays finite (no inf - inf). */
  private static final double MASKED = -1e9;

  enum Kind {
    /** Plain in-batch softmax, tree-shaped on the gradient path (correct in M2). */
    NONE,
    /** Refined logQ, tree-shaped, w_b from a StopGradient branch (correct in M2). */
    REFINED,
    /** Plain in-batch softmax as naturally written: the score matrix feeds two ops. M2: zero gradients. */
    NONE_NATURAL,
    /** Refined as naturally written (scores, log-sum-exp and s_pb shared). M2: zero gradients. */
    REFINED_NATURAL,
    /** The tree graph with the library's {@code sd.math().logSumExp(x, 1)}. M2: its backward pass fails. */
    NONE_LIBRARY_LOGSUMEXP
  }

  final SameDiff sd = SameDiff.create();
  final SDVariable u;
  final SDVariable v;
  private final DataType type;
  SDVariable loss;

  private SameDiffInBatch(INDArray uValues, INDArray vValues, DataType type) {
    this.type = type;
    u = sd.var("U", uValues);
    v = sd.var("V", vValues);
  }

  /**
   * @param columnItem item of column j (= row j's positive)
   * @param itemLogQ   log Q by item (refined only)
   */
  static SameDiffInBatch build(Kind kind, float[] uRowMajor, float[] vRowMajor, int rows, int d, int[] columnItem,
                               double[] itemLogQ, double invTemperature, DataType type) {
    INDArray uValues = Nd4j.createFromArray(uRowMajor).reshape(rows, d).castTo(type);
    INDArray vValues = Nd4j.createFromArray(vRowMajor).reshape(rows, d).castTo(type);
    SameDiffInBatch g = new SameDiffInBatch(uValues, vValues, type);
    Constants c = new Constants(rows, columnItem, itemLogQ);
    switch (kind) {
      case NONE:
      case NONE_LIBRARY_LOGSUMEXP:
        g.loss = g.noneTree(c, rows, invTemperature, kind == Kind.NONE_LIBRARY_LOGSUMEXP);
        break;
      case REFINED:
        g.loss = g.refinedTree(c, rows, invTemperature);
        break;
      case NONE_NATURAL:
        g.loss = g.noneNatural(c, rows, invTemperature);
        break;
      case REFINED_NATURAL:
        g.loss = g.refinedNatural(c, rows, invTemperature);
        break;
      default:
        throw new IllegalStateException(kind.toString());
    }
    g.sd.setLossVariables(g.loss);
    return g;
  }

  /** Masks and per-row constants, computed in Java from the batch's items and log Q. */
  private static final class Constants {
    final double[][] softmaxPenalty;  // 0 for the positive and unmasked negatives, MASKED for accidental hits
    final double[][] refinedOffset;   // -log Q(j) + log(1 - Q(p_b)) for negatives, MASKED for positive and hits
    final double[][] zBound;          // max_j(-log Q(j)) + log(1 - Q(p_b)): the shift's offset for z
    final double[][] logK;
    final double[][] hasNegatives;

    Constants(int rows, int[] columnItem, double[] itemLogQ) {
      softmaxPenalty = new double[rows][rows];
      refinedOffset = new double[rows][rows];
      zBound = new double[rows][1];
      logK = new double[rows][1];
      hasNegatives = new double[rows][1];
      double largestMinusLogQ = Double.NEGATIVE_INFINITY;
      if (itemLogQ != null) {
        for (int j = 0; j < rows; j++) {
          largestMinusLogQ = Math.max(largestMinusLogQ, -itemLogQ[columnItem[j]]);
        }
      }
      for (int b = 0; b < rows; b++) {
        double logOneMinusQp = itemLogQ == null ? 0 : Math.log(-Math.expm1(itemLogQ[columnItem[b]]));
        int k = 0;
        for (int j = 0; j < rows; j++) {
          boolean hit = columnItem[j] == columnItem[b];
          softmaxPenalty[b][j] = hit && j != b ? MASKED : 0;
          refinedOffset[b][j] = hit ? MASKED : (itemLogQ == null ? 0 : -itemLogQ[columnItem[j]]) + logOneMinusQp;
          k += hit ? 0 : 1;
        }
        zBound[b][0] = largestMinusLogQ + logOneMinusQp;
        logK[b][0] = Math.log(Math.max(k, 1));
        hasNegatives[b][0] = k > 0 ? 1 : 0;
      }
    }
  }

  private SDVariable constant(double[][] values) {
    return sd.constant(Nd4j.createFromArray(values).castTo(type));
  }

  private SDVariable scores(double invTemperature) {
    return sd.mmul(u, v, false, true, false).mul(invTemperature);
  }

  /** s_bb = <u_b, v_b> / tau, from U and V directly (no shared score matrix). */
  private SDVariable positiveScores(double invTemperature) {
    return u.mul(v).sum(true, 1).mul(invTemperature);
  }

  /** shift + log(sum(exp(x - shift))) per row; shift is a StopGradient value at or above the row max. */
  private SDVariable logSumExpRows(SDVariable x, SDVariable shift) {
    return sd.math().log(sd.math().exp(x.sub(shift)).sum(true, 1)).add(shift);
  }

  /** Row max of a second score matrix, behind a StopGradient: a shift that no gradient flows through. */
  private SDVariable rowMaxWithoutGradient(int rows, double invTemperature) {
    return new StopGradient(sd, scores(invTemperature).max(1).reshape(rows, 1)).outputVariable();
  }

  private SDVariable noneTree(Constants c, int rows, double invTemperature, boolean libraryLogSumExp) {
    SDVariable logits = scores(invTemperature).add(constant(c.softmaxPenalty));
    SDVariable logSumExp = libraryLogSumExp
        ? sd.math().logSumExp(logits, 1).reshape(rows, 1)
        : logSumExpRows(logits, rowMaxWithoutGradient(rows, invTemperature));
    return logSumExp.sub(positiveScores(invTemperature)).mean("loss");
  }

  private SDVariable refinedTree(Constants c, int rows, double invTemperature) {
    // No-gradient branch: a second score matrix gives the shift and w_b = sigmoid(-t).
    SDVariable sideScores = scores(invTemperature);
    SDVariable shift = new StopGradient(sd, sideScores.max(1).reshape(rows, 1).add(constant(c.zBound)))
        .outputVariable();
    SDVariable sideLogSumExpZ = logSumExpRows(sideScores.add(constant(c.refinedOffset)), shift);
    SDVariable t = positiveScores(invTemperature).sub(sideLogSumExpZ).add(constant(c.logK));
    SDVariable w = new StopGradient(sd, sd.nn().sigmoid(t.neg()).mul(constant(c.hasNegatives))).outputVariable();
    // Gradient path: a tree from U and V.
    SDVariable logSumExpZ = logSumExpRows(scores(invTemperature).add(constant(c.refinedOffset)), shift);
    return w.mul(logSumExpZ.sub(positiveScores(invTemperature))).mean("loss");
  }

  private SDVariable noneNatural(Constants c, int rows, double invTemperature) {
    SDVariable scores = scores(invTemperature);
    SDVariable positive = scores.mul(constant(identity(rows))).sum(true, 1);
    SDVariable logSumExp = logSumExpRows(scores.add(constant(c.softmaxPenalty)),
        rowMaxWithoutGradient(rows, invTemperature));
    return logSumExp.sub(positive).mean("loss");
  }

  private SDVariable refinedNatural(Constants c, int rows, double invTemperature) {
    SDVariable scores = scores(invTemperature);
    SDVariable positive = scores.mul(constant(identity(rows))).sum(true, 1);
    SDVariable shift = new StopGradient(sd, scores.max(1).reshape(rows, 1).add(constant(c.zBound)))
        .outputVariable();
    SDVariable logSumExpZ = logSumExpRows(scores.add(constant(c.refinedOffset)), shift);
    SDVariable t = positive.sub(logSumExpZ).add(constant(c.logK));
    SDVariable w = new StopGradient(sd, sd.nn().sigmoid(t.neg()).mul(constant(c.hasNegatives))).outputVariable();
    return w.mul(logSumExpZ.sub(positive)).mean("loss");
  }

  private static double[][] identity(int rows) {
    double[][] eye = new double[rows][rows];
    for (int b = 0; b < rows; b++) {
      eye[b][b] = 1;
    }
    return eye;
  }

  double lossValue() {
    return sd.output(Collections.<String, INDArray>emptyMap(), "loss").get("loss").getDouble(0);
  }

  /** dLoss/dU and dLoss/dV, keys "U" and "V". */
  Map<String, INDArray> gradients() {
    return sd.calculateGradients(Collections.<String, INDArray>emptyMap(), "U", "V");
  }
}
