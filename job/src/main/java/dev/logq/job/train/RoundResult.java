package dev.logq.job.train;

import dev.logq.common.model.TensorPatch;
import java.io.Serializable;

/**
 * What one worker sends back after a round: with gradient averaging the SUM over its examples of the
 * per-example gradient; with local steps the example-weighted change of its replica (parameters and
 * optimizer state). Weighted sums let the driver form exact example-weighted means.
 */
public record RoundResult(int partition, long examples, double lossSum, TensorPatch params,
                          TensorPatch optimizerState, long computeNanos) implements Serializable {

  static RoundResult empty(int partition) {
    return new RoundResult(partition, 0, 0.0, null, null, 0);
  }
}
