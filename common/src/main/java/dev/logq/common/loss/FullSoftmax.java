package dev.logq.common.loss;

/**
 * Exact softmax over the whole catalog (LOSSES.md "full"), the reference the sampled losses estimate:
 * <pre>
 *   l_b = -s_pb + log sum_{all items i} e^{s(u_b, i)}
 * </pre>
 * The SHARED columns must be the catalog ({@code cols == catalogSize}); the positive may sit in any column.
 * Q is not used. A column that repeats the positive's item is masked like everywhere else, so a catalog
 * listed without duplicates gives exactly the formula above. Memory and time grow with rows x catalog:
 * small catalogs only.
 */
public final class FullSoftmax implements Loss {

  public static final String NAME = "full";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Logits.Layout layout() {
    return Logits.Layout.SHARED;
  }

  /** The whole catalog, whatever {@code uniformNegatives} says. */
  @Override
  public Candidates candidates(int uniformNegatives) {
    return Candidates.fullCatalog();
  }

  @Override
  public double lossAndGradient(Logits logits, float[] gradScores) {
    LossSupport.requireLayout(this, logits, gradScores);
    if (logits.cols != logits.catalogSize) {
      throw new IllegalArgumentException("loss 'full' needs every catalog item as a column: got " + logits.cols
          + " columns for a catalog of " + logits.catalogSize + " items");
    }
    LossSupport.requirePositivesInRange(this, logits);
    return LossSupport.softmaxCrossEntropy(this, logits, new double[logits.cols], false, gradScores);
  }

  @Override
  public String toString() {
    return NAME;
  }
}
