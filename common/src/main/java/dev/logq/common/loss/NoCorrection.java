package dev.logq.common.loss;

/**
 * Plain in-batch sampled softmax, no correction for how the negatives were drawn (LOSSES.md "none"):
 * <pre>
 *   l_b = -s_pb + log( e^{s_pb} + sum_{j in N_b} e^{s_j} )
 * </pre>
 * N_b is every SHARED column except the row's positive column and its accidental hits (columns naming the
 * positive's item). Uniform extra negatives (columns {@code [inBatchColumns, cols)}) are just more negatives.
 */
public final class NoCorrection implements Loss {

  public static final String NAME = "none";

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
    return LossSupport.softmaxCrossEntropy(this, logits, new double[logits.cols], false, gradScores);
  }

  @Override
  public String toString() {
    return NAME;
  }
}
