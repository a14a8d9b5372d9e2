package dev.logq.job.train;

import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.optim.Optimizer;
import java.util.List;

/**
 * The one place where the workers' contributions of a round become the next model. The rounds backend
 * runs it on the driver's master model (the collective backend's owners apply the same sums to their rows, see
 * {@code ShardedSyncEquivalenceTest}). Same inputs in the same (partition) order, same code: the same bits.
 */
final class Averaging {

  private Averaging() {}

  /** One worker's contribution: example-weighted sums (see {@link RoundResult}). */
  record Contribution(long examples, TensorPatch params, TensorPatch optimizerState) {}

  /**
   * Applies the example-weighted mean of the contributions to {@code params}/{@code state} in place.
   * With gradient averaging (syncEvery = 1) the mean gradient goes through one optimizer step; with
   * local steps the mean change of parameters and optimizer state is added.
   *
   * @param contributions in partition order
   * @return the new values of everything that changed, or null when no worker had examples
   */
  static RoundPatch apply(List<Contribution> contributions, TensorStore params, TensorStore state,
                          Optimizer optimizer, long version, boolean localSteps) {
    long examples = 0;
    TensorPatch meanParams = new TensorPatch();
    TensorPatch meanState = new TensorPatch();
    for (Contribution c : contributions) {
      if (c.examples() == 0) {
        continue;
      }
      examples += c.examples();
      meanParams.addScaled(c.params(), 1f);
      if (c.optimizerState() != null) {
        meanState.addScaled(c.optimizerState(), 1f);
      }
    }
    if (examples == 0) {
      return null;
    }
    float inverse = (float) (1.0 / examples);
    meanParams.scale(inverse);
    if (!localSteps) {
      long start = System.nanoTime();
      RoundPatch patch = new RoundPatch(version, optimizer.step(params, state, meanParams, version), null);
      patch.stepNanos = System.nanoTime() - start;
      return patch;
    }
    meanState.scale(inverse);
    long start = System.nanoTime();
    TensorPatch newParams = TensorPatch.gatherRows(params, meanParams).addScaled(meanParams, 1f);
    params.applyPatch(newParams);
    TensorPatch newState = TensorPatch.gatherRows(state, meanState).addScaled(meanState, 1f);
    state.applyPatch(newState);
    RoundPatch patch = new RoundPatch(version, newParams, newState);
    patch.stepNanos = System.nanoTime() - start;
    return patch;
  }
}
