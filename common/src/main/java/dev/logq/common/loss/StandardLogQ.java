package dev.logq.common.loss;

/**
 * The standard logQ correction (LOSSES.md "standard"; Yi et al., RecSys 2019, eq. 4): every logit is
 * shifted by minus the log of its proposal probability, and the in-batch softmax is taken over the shifted
 * logits,
 * <pre>
 *   s^c_j = s_j - log q(j)
 *   l_b   = -s^c_pb + log( e^{s^c_pb} + sum_{j in N_b} e^{s^c_j} )
 * </pre>
 * with accidental hits masked out of N_b.
 *
 * <p><b>Which columns are corrected.</b> With {@code correctPositive = true} (the default, eq. 4 of the paper
 * and TensorFlow's sampled-softmax candidate correction) the positive's own column is shifted too. With
 * {@code false} only the negatives are shifted, as in the authors' baseline code
 * ({@code train_in_batch_logq_old.py}).
 *
 * <p><b>Proposal density.</b> Without uniform extra negatives q(j) = Q(j), exactly LOSSES.md. With them, the
 * SHARED columns of a row are n_in = inBatchColumns - 1 draws from Q (the other rows' positives) and
 * n_u = cols - inBatchColumns uniform draws over the N = catalogSize items, so the density of a column drawn
 * from that pool is the mixture
 * <pre>
 *   q(j) = ( n_in * Q(j) + n_u / N ) / ( n_in + n_u )
 * </pre>
 * evaluated at column j's item whichever component drew it (the balance heuristic of multiple importance
 * sampling). Standard's proposal is Q itself, positive included, so the counts are taken before accidental
 * hits are masked and q does not depend on the row. With n_u = 0 it is Q. Uniform columns whose item the
 * table lacks use Q = 1e-10; an in-batch column without a finite log Q is a data error
 * (IllegalArgumentException naming the item).
 */
public final class StandardLogQ implements Loss {

  public static final String NAME = "standard";

  private final boolean correctPositive;

  /**
   * @param correctPositive true: correct every column including the positive's own (Yi et al. eq. 4);
   *                        false: correct only the negatives (the authors' baseline code)
   */
  public StandardLogQ(boolean correctPositive) {
    this.correctPositive = correctPositive;
  }

  public boolean correctsPositive() {
    return correctPositive;
  }

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
    LossSupport.requireLayout(this, logits, gradScores);
    LossSupport.requireInBatchPositives(this, logits);
    LossSupport.requireCatalogForUniform(this, logits, 1);
    return LossSupport.softmaxCrossEntropy(this, logits, columnLogProposal(logits), correctPositive, gradScores);
  }

  /** log q(j) for every column: log Q, or the log of the Q/uniform mixture described in the class comment. */
  double[] columnLogProposal(Logits logits) {
    double[] logQ = LossSupport.columnLogQ(this, logits);
    int fromQ = logits.inBatchColumns - 1;
    int uniform = logits.cols - logits.inBatchColumns;
    if (uniform == 0) {
      return logQ;
    }
    double weightQ = (double) fromQ / (fromQ + uniform);
    double uniformTerm = (double) uniform / (fromQ + uniform) / logits.catalogSize;
    for (int j = 0; j < logQ.length; j++) {
      logQ[j] = Math.log(weightQ * Math.exp(logQ[j]) + uniformTerm);
    }
    return logQ;
  }

  @Override
  public String toString() {
    return NAME + (correctPositive ? "" : " (negatives only)");
  }
}
