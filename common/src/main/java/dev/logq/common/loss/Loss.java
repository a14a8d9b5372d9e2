package dev.logq.common.loss;

/**
 * One of the training losses of ../shared/LOSSES.md. Implementations are stateless and thread-safe.
 */
public interface Loss {

  /** The name used in configuration and reports: none, standard, refined, full, uniform-bce. */
  String name();

  /** The score layout this loss consumes. */
  Logits.Layout layout();

  /**
   * Computes the batch loss (the mean of the per-row losses l_b) and writes dLoss/dScores into
   * {@code gradScores} (same layout as {@code logits.scores}; entries of masked columns are 0).
   * The gradient is with respect to the temperature-scaled scores; callers chain through 1/tau.
   *
   * @return the mean loss over the rows, never NaN
   */
  double lossAndGradient(Logits logits, float[] gradScores);
}
