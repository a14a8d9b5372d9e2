package dev.logq.common.eval;

/**
 * The planted P(item | user) of a synthetic data set, supplied by whoever generated it.
 * Kept as a callback so that evaluation does not depend on any one generator.
 */
@FunctionalInterface
public interface TrueDistribution {

  /**
   * P(item | user) for every item index 0..numItems-1: non-negative, summing to 1.
   *
   * @param userIdx the dense user index, as in the embeddings
   */
  double[] probabilities(int userIdx);
}
