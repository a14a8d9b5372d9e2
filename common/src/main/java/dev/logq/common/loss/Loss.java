package dev.logq.common.loss;

/**
 * One of the training losses of ../shared/LOSSES.md. Implementations are stateless (settings only), thread-safe and
 * serializable: the training plan carries the resolved loss to the executors.
 */
public interface Loss extends java.io.Serializable {

  /** The name used in configuration and reports: none, standard, refined, full, uniform-bce. */
  String name();

  /** The score layout this loss consumes. */
  Logits.Layout layout();

  /**
   * The candidate columns this loss scores a batch against, with {@code uniformNegatives} extra uniform
   * draws (loss.uniformNegatives, or loss.bceNegatives per row): by default the in-batch items plus that
   * many uniform ones for the SHARED layout, the positive plus that many uniform ones per row for PER_ROW.
   */
  default Candidates candidates(int uniformNegatives) {
    return layout() == Logits.Layout.SHARED
        ? Candidates.inBatchPlusUniform(uniformNegatives)
        : Candidates.perRowUniform(uniformNegatives);
  }

  /**
   * True when a row's negatives are (also) the batch's other positives, as for none/standard/refined: a
   * batch then needs another row or a uniform negative (the configuration checks train.batchSize), and
   * compare mode trains the loss. Follows from {@link #candidates}.
   */
  default boolean inBatchNegatives() {
    return candidates(0).isInBatch();
  }

  /**
   * True when the loss scores the whole catalog, as "full": exact but with a cost that grows with the
   * catalog, so compare mode trains it only for small catalogs. Follows from {@link #candidates}.
   */
  default boolean scoresFullCatalog() {
    return candidates(0).isFullCatalog();
  }

  /**
   * Computes the batch loss (the mean of the per-row losses l_b) and writes dLoss/dScores into
   * {@code gradScores} (same layout as {@code logits.scores}; entries of masked columns are 0).
   * The gradient is with respect to the temperature-scaled scores; callers chain through 1/tau.
   *
   * @return the mean loss over the rows, never NaN
   */
  double lossAndGradient(Logits logits, float[] gradScores);
}
