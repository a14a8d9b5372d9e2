package dev.logq.job.train;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Where each epoch's rounds went, on the round's critical path, as both backends count it: the round's wall, the
 * slowest worker's gradient, the optimizer step the round waits for. Per epoch because the first one carries the
 * JIT's warm-up and the segment starts, which a mean over the run mixes into the steady state.
 */
final class EpochCosts {

  /** Per epoch (0-based): rounds, then the wall, gradient, step and rounds-alone milliseconds summed over them. */
  private final TreeMap<Integer, double[]> byEpoch = new TreeMap<>();

  /**
   * @param wallMillis the driver's wall of these rounds, their segment's start and checkpoint included
   * @param loopMillis the rounds alone (collective: the slowest worker's round loop; rounds: the same as the wall)
   */
  void add(int epoch, long rounds, double wallMillis, double gradientMillis, double stepMillis, double loopMillis) {
    double[] sums = byEpoch.computeIfAbsent(epoch, e -> new double[5]);
    sums[0] += rounds;
    sums[1] += wallMillis;
    sums[2] += gradientMillis;
    sums[3] += stepMillis;
    sums[4] += loopMillis;
  }

  /** The driver's wall of every round so far (ms). */
  double wallMillis() {
    return total(1);
  }

  /** The rounds' slowest gradients, summed (ms). */
  double gradientMillis() {
    return total(2);
  }

  /** The optimizer steps the rounds waited for, summed (ms). */
  double stepMillis() {
    return total(3);
  }

  /** The rounds alone, summed (ms). */
  double loopMillis() {
    return total(4);
  }

  private double total(int column) {
    double sum = 0;
    for (double[] s : byEpoch.values()) {
      sum += s[column];
    }
    return sum;
  }

  /** The epochs this process trained, in order (epochs are 1-based here, as in the curve). */
  List<DistributedTrainer.EpochSync> epochs() {
    List<DistributedTrainer.EpochSync> out = new ArrayList<>(byEpoch.size());
    byEpoch.forEach((epoch, s) -> {
      double n = Math.max(1, s[0]);
      out.add(new DistributedTrainer.EpochSync(epoch + 1, (long) s[0], s[1] / n, s[2] / n, s[3] / n, s[4] / n));
    });
    return out;
  }
}
